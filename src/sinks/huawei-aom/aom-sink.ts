import type { Event, EventAction } from '../../model/event.ts';
import { entryCache } from '../entry-cache.ts';
import { sendGrouped } from '../http-call.ts';
import { huaweiCall } from '../huawei/client.ts';
import { type HuaweiTarget, resolveHuaweiTarget } from '../huawei/credentials.ts';
import { sendIsolating } from '../isolate.ts';
import type { SinkFactoryDeps } from '../sink-type.ts';
import type { EntryProblem, ProbeResult, SendResult, Sink, SinkLimits } from '../sink.ts';
import type { HuaweiAomSinkConfig } from './config.ts';
import { AOM_DEFAULT_MAX_ENTRIES, AOM_ENVELOPE_BYTES, AOM_MAX_REQUEST_BYTES } from './limits.ts';
import { classifyAomResponse } from './outcome-classifier.ts';
import { probeAom } from './probe.ts';
import { type AomBuild, aomEntrySize, buildAomEntry } from './request-builder.ts';
import type { AomEvent, AomPushBody } from './wire.ts';

/**
 * Huawei AOM events and alarms: `PUT /v2/{project_id}/push/events`, 204. Raises and clears go
 * in separate requests (`?action=clear`); a mixed batch is sent as consecutive runs, in order,
 * and a request AOM refuses for its content is split until the refused event is alone.
 */
export class AomSink implements Sink {
  readonly name: string;
  readonly type = 'huawei_aom';
  readonly limits: SinkLimits;
  private readonly target: HuaweiTarget;
  private readonly headers: Record<string, string>;
  private readonly build: (event: Event) => AomBuild;

  constructor(name: string, cfg: HuaweiAomSinkConfig, deps: SinkFactoryDeps) {
    this.name = name;
    this.target = resolveHuaweiTarget('aom', cfg, { emulator: deps.emulator });
    const opts = {
      eventType: cfg.event_type,
      resourceProvider: cfg.resource_provider,
      resourceType: cfg.resource_type,
      timeoutMs: cfg.alarm_timeout,
    };
    this.build = entryCache((event) => buildAomEntry(event, opts));
    this.headers = cfg.enterprise_project_id ? { [cfg.enterprise_project_header]: cfg.enterprise_project_id } : {};
    this.limits = { maxEntries: cfg.batch.max_entries ?? AOM_DEFAULT_MAX_ENTRIES, maxBytes: AOM_MAX_REQUEST_BYTES - AOM_ENVELOPE_BYTES };
  }

  check(event: Event): EntryProblem | undefined {
    const b = this.build(event);
    return b.ok ? undefined : b.problem;
  }

  entrySize(event: Event): number {
    const b = this.build(event);
    return b.ok ? aomEntrySize(b.entry) : 0;
  }

  send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    return sendGrouped<{ action: EventAction; build: AomBuild }, EventAction>(
      batch.map((event) => ({ action: event.action, build: this.build(event) })),
      // The lane checked every event before batching; one that fails here never leaves.
      ({ action, build }) => (build.ok ? action : { kind: 'permanent', ...build.problem }),
      (action, items) => {
        const entries = items.flatMap(({ build }) => (build.ok ? [build.entry] : []));
        return sendIsolating(entries, (part) => this.push(action, part, signal), signal);
      },
    );
  }

  private async push(action: EventAction, entries: readonly AomEvent[], signal: AbortSignal): Promise<SendResult> {
    const body: AomPushBody = { events: [...entries] };
    const r = await huaweiCall(
      this.target,
      {
        method: 'PUT',
        path: `/v2/${encodeURIComponent(this.target.projectId)}/push/events`,
        ...(action === 'clear' ? { query: { action: 'clear' } } : {}),
        headers: this.headers,
        body: JSON.stringify(body),
      },
      entries.length,
      signal,
    );
    return r.ok ? classifyAomResponse(r.reply, entries.length) : r.failure;
  }

  probe(signal: AbortSignal): Promise<ProbeResult> {
    return probeAom(this.target, this.headers, signal);
  }

  async close(): Promise<void> {}
}
