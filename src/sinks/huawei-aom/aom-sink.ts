import type { Event } from '../../model/event.ts';
import { entryCache } from '../entry-cache.ts';
import { sendGrouped } from '../http-call.ts';
import { huaweiCall } from '../huawei/client.ts';
import { type HuaweiTarget, resolveHuaweiTarget } from '../huawei/credentials.ts';
import { classifyHuaweiError } from '../huawei/error-classifier.ts';
import type { SinkFactoryDeps } from '../registry.ts';
import { deliveredAll, type SendResult, type Sink, type SinkLimits } from '../sink.ts';
import { AOM_DEFAULT_MAX_ENTRIES, type HuaweiAomSinkConfig } from './index.ts';
import { type AomBuildOptions, type AomEntry, aomEntrySize, toAomEntry } from './request-builder.ts';

/** AOM documents no body limit; 1 MiB keeps a request well under API gateway limits. */
const MAX_REQUEST_BYTES = 1024 * 1024;
const ENVELOPE_BYTES = '{"events":[]}'.length;

/**
 * Huawei AOM events and alarms: `PUT /v2/{project_id}/push/events`, 204. Raises and clears go
 * in separate requests (`?action=clear`); a mixed batch is sent as consecutive runs, in order.
 */
export class AomSink implements Sink {
  readonly name: string;
  readonly type = 'huawei_aom';
  readonly limits: SinkLimits;
  private readonly target: HuaweiTarget;
  private readonly headers: Record<string, string>;
  private readonly entry: (event: Event) => AomEntry;

  constructor(name: string, cfg: HuaweiAomSinkConfig, deps: SinkFactoryDeps) {
    this.name = name;
    this.target = resolveHuaweiTarget('aom', cfg, { emulator: deps.emulator });
    const build: AomBuildOptions = { eventType: cfg.event_type, resourceProvider: cfg.resource_provider, resourceType: cfg.resource_type, timeoutMs: cfg.alarm_timeout };
    this.entry = entryCache((event) => toAomEntry(event, build));
    this.headers = cfg.enterprise_project_id ? { 'enterprise-project-id': cfg.enterprise_project_id } : {};
    this.limits = { maxEntries: cfg.batch.max_entries ?? AOM_DEFAULT_MAX_ENTRIES, maxBytes: MAX_REQUEST_BYTES - ENVELOPE_BYTES };
  }

  entrySize(event: Event): number {
    return aomEntrySize(this.entry(event));
  }

  send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    return sendGrouped(
      batch,
      (event) => event.action,
      async (action, events) => {
        const body = JSON.stringify({ events: events.map((e) => this.entry(e)) });
        const r = await huaweiCall(
          this.target,
          {
            method: 'PUT',
            path: `/v2/${encodeURIComponent(this.target.projectId)}/push/events`,
            ...(action === 'clear' ? { query: { action: 'clear' } } : {}),
            headers: this.headers,
            body,
          },
          events.length,
          signal,
        );
        if (!r.ok) return r.failure;
        return r.reply.status >= 200 && r.reply.status < 300 ? deliveredAll(events.length) : classifyHuaweiError(r.reply, events.length);
      },
    );
  }

  async close(): Promise<void> {}
}
