import type { Event } from '../../model/event.ts';
import { entryCache } from '../entry-cache.ts';
import { sendGrouped } from '../http-call.ts';
import { huaweiCall } from '../huawei/client.ts';
import { type HuaweiTarget, resolveHuaweiTarget } from '../huawei/credentials.ts';
import type { SinkFactoryDeps } from '../registry.ts';
import type { SendResult, Sink, SinkLimits } from '../sink.ts';
import { CES_DEFAULT_MAX_ENTRIES, type HuaweiCesSinkConfig } from './index.ts';
import { classifyCesResponse } from './outcome-classifier.ts';
import { type CesEntry, type OldEventsPolicy, cesEntryProblem, cesEntrySize, fitTimeWindow, toCesEntry } from './request-builder.ts';

/** Cloud Eye documents no body limit; 1 MiB keeps a request well under API gateway limits. */
const MAX_REQUEST_BYTES = 1024 * 1024;

/** Huawei Cloud Eye custom events: `POST /V1.0/{project_id}/events`, a JSON array, 201. */
export class CesSink implements Sink {
  readonly name: string;
  readonly type = 'huawei_ces';
  readonly limits: SinkLimits;
  readonly target: HuaweiTarget;
  private readonly oldEvents: OldEventsPolicy;
  private readonly entry: (event: Event) => CesEntry;

  constructor(name: string, cfg: HuaweiCesSinkConfig, deps: SinkFactoryDeps) {
    this.name = name;
    this.target = resolveHuaweiTarget('ces', cfg, { emulator: deps.emulator });
    this.oldEvents = cfg.old_events;
    this.entry = entryCache((event) => toCesEntry(event, { groupId: cfg.group_id }));
    // `batch.max_entries` may go above the default: the limit is not documented, only assumed.
    this.limits = { maxEntries: cfg.batch.max_entries ?? CES_DEFAULT_MAX_ENTRIES, maxBytes: MAX_REQUEST_BYTES };
  }

  entrySize(event: Event): number {
    return cesEntrySize(this.entry(event));
  }

  async send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    const now = Date.now();
    const fitted = new Map<Event, CesEntry>();
    return sendGrouped(
      batch,
      (event) => {
        const entry = this.entry(event);
        const problem = cesEntryProblem(entry);
        if (problem) return { kind: 'permanent', code: 'ces.invalid_event', message: problem };
        const fit = fitTimeWindow(entry, this.oldEvents, now);
        if (!fit.ok) return { kind: 'permanent', code: 'ces.time_window', message: fit.message };
        fitted.set(event, fit.entry);
        return 'send';
      },
      async (_key, events) => {
        const body = JSON.stringify(events.map((e) => fitted.get(e)!));
        const r = await huaweiCall(this.target, { method: 'POST', path: `/V1.0/${encodeURIComponent(this.target.projectId)}/events`, body }, events.length, signal);
        return r.ok ? classifyCesResponse(r.reply, events.length) : r.failure;
      },
    );
  }

  async close(): Promise<void> {}
}
