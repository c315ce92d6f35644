import type { Event } from '../../model/event.ts';
import { entryCache } from '../entry-cache.ts';
import { huaweiCall } from '../huawei/client.ts';
import { type HuaweiTarget, resolveHuaweiTarget } from '../huawei/credentials.ts';
import { sendIsolating } from '../isolate.ts';
import type { SinkFactoryDeps } from '../sink-type.ts';
import type { EntryOutcome, EntryProblem, ProbeResult, SendResult, Sink, SinkLimits } from '../sink.ts';
import { CES_DEFAULT_MAX_ENTRIES, type HuaweiCesSinkConfig } from './config.ts';
import { CesTimes, clampTime } from './identity.ts';
import { inTimeWindow, timeProblem } from './limits.ts';
import { classifyCesResponse, refusedForTime } from './outcome-classifier.ts';
import { probeCes } from './probe.ts';
import { type CesBuildResult, buildCesEntry, cesEntrySize, clampedEntry } from './request-builder.ts';
import type { CesEntry } from './wire.ts';

/** Cloud Eye documents no body limit; 1 MiB keeps a request well under API gateway limits. */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** Code of an event outside the window with `old_events: reject`, or refused for its time. */
export const TIME_WINDOW_CODE = 'ces.time_window';

interface Outgoing {
  event: Event;
  entry: CesEntry;
}

/**
 * Huawei Cloud Eye custom events: `POST /V1.0/{project_id}/events`, a JSON array, 201.
 * Every event is built and checked once (`check`), before it is batched. At send time each
 * event gets its send time (identity.ts: inside the window, unique per Cloud Eye identity, the
 * same on every retry). The API is all-or-nothing: a request refused for its content is split
 * until the entry at fault is alone (isolate.ts); an entry refused for its time is fitted anew
 * and sent again.
 */
export class CesSink implements Sink {
  readonly name: string;
  readonly type = 'huawei_ces';
  readonly limits: SinkLimits;
  readonly target: HuaweiTarget;
  readonly times = new CesTimes();
  private readonly oldEvents: HuaweiCesSinkConfig['old_events'];
  private readonly marginMs: number;
  private readonly build: (event: Event) => CesBuildResult;
  /** Events Cloud Eye refused for their time: fitted with twice the margin from then on. */
  private readonly refusedTime = new Set<string>();

  constructor(name: string, cfg: HuaweiCesSinkConfig, deps: SinkFactoryDeps) {
    this.name = name;
    this.target = resolveHuaweiTarget('ces', cfg, { emulator: deps.emulator });
    this.oldEvents = cfg.old_events;
    this.marginMs = cfg.time_margin;
    this.build = entryCache((event) => buildCesEntry(event, { groupId: cfg.group_id }));
    // `batch.max_entries` may go above the default: the limit is not documented, only assumed.
    this.limits = { maxEntries: cfg.batch.max_entries ?? CES_DEFAULT_MAX_ENTRIES, maxBytes: MAX_REQUEST_BYTES };
  }

  check(event: Event): EntryProblem | undefined {
    const r = this.build(event);
    if (!r.ok) return r.problem;
    return this.oldEvents === 'reject' ? this.rejectedTime(r.built.entry.time, this.target.clock.now()) : undefined;
  }

  entrySize(event: Event): number {
    const r = this.build(event);
    return r.ok ? cesEntrySize(r.built.entry) : 0;
  }

  async send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    const now = this.target.clock.now();
    const outcomes: EntryOutcome[] = new Array(batch.length);
    const out: { at: number; item: Outgoing }[] = [];
    batch.forEach((event, at) => {
      const r = this.build(event);
      if (!r.ok) {
        outcomes[at] = { kind: 'permanent', ...r.problem };
        return;
      }
      const { entry, identity } = r.built;
      const rejected = this.oldEvents === 'reject' ? this.rejectedTime(entry.time, now) : undefined;
      if (rejected) {
        outcomes[at] = { kind: 'permanent', ...rejected };
        return;
      }
      const margin = this.refusedTime.has(event.id) ? 2 * this.marginMs : this.marginMs;
      const time = this.times.timeFor(
        event.id,
        identity,
        entry.time,
        (own) => clampTime(own, now, margin),
        (t) => inTimeWindow(t, now, margin),
      );
      const clamped = !inTimeWindow(entry.time, now, margin);
      out.push({ at, item: { event, entry: time === entry.time ? entry : clamped ? clampedEntry(entry, time) : { ...entry, time } } });
    });
    if (out.length === 0) return { outcomes, throttled: false };
    const result = await sendIsolating(
      out.map((o) => o.item),
      (items) => this.request(items, signal),
      signal,
    );
    out.forEach(({ at, item }, j) => {
      outcomes[at] = this.settle(
        item.event,
        result.outcomes[j] ?? { kind: 'retryable', code: 'MissingEntryResult', message: `no outcome for entry ${j}` },
      );
    });
    return { outcomes, throttled: result.throttled };
  }

  probe(signal: AbortSignal): Promise<ProbeResult> {
    return probeCes(this.target, signal);
  }

  async close(): Promise<void> {}

  private async request(items: readonly Outgoing[], signal: AbortSignal): Promise<SendResult> {
    const body = JSON.stringify(items.map((i) => i.entry));
    const path = `/V1.0/${encodeURIComponent(this.target.projectId)}/events`;
    const r = await huaweiCall(this.target, { method: 'POST', path, body }, items.length, signal);
    if (!r.ok) return r.failure;
    const result = classifyCesResponse(r.reply, items.length);
    // Refused for a time that looked inside the window here: this node's clock is off Cloud Eye's.
    if (result.outcomes.some(refusedForTime)) this.target.clock.correctFrom(r.reply.headers.get('date'));
    return result;
  }

  /** An entry refused for its time is fitted anew (with `old_events: clamp`) and sent again at once. */
  private settle(event: Event, o: EntryOutcome): EntryOutcome {
    if (this.oldEvents !== 'clamp' || !refusedForTime(o) || o.kind !== 'permanent') {
      // Settled (or failing for another reason): its wider margin is no longer needed.
      if (o.kind !== 'retryable') this.refusedTime.delete(event.id);
      return o;
    }
    this.times.forget(event.id);
    this.refusedTime.add(event.id);
    return {
      kind: 'retryable',
      code: TIME_WINDOW_CODE,
      message: `Cloud Eye refused the event's time (${o.code}: ${o.message}); it is fitted into the window again`,
      retryAfterMs: 0,
    };
  }

  private rejectedTime(time: number, now: number): EntryProblem | undefined {
    const p = timeProblem(time, now, this.marginMs);
    return p ? { code: TIME_WINDOW_CODE, message: `${p.message} (old_events: reject)` } : undefined;
  }
}
