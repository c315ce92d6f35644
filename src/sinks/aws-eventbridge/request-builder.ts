import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Event } from '../../model/event.ts';
import { eventDetail } from '../event-json.ts';
import { parseOverrides } from '../override-values.ts';
import type { EntryProblem } from '../sink.ts';
import { DETAIL_TYPE_MAX, entryProblem, putEventsEntrySize } from './limits.ts';
import { awsOverrides } from './overrides.ts';

export interface BuildOptions {
  /** The sink's `event_bus` (name or ARN); the account's default bus when absent. */
  defaultBus: string | undefined;
  /** The request limit in force: no entry may be larger on its own. */
  maxRequestBytes: number;
}

export type BuiltEntry = { ok: true; entry: PutEventsRequestEntry; size: number } | { ok: false; problem: EntryProblem };

/**
 * Event → PutEvents entry, checked against PutEvents' rules. `Source` is the event source,
 * `DetailType` the event name, `Detail` a JSON object with everything else; the rule's `aws:`
 * block may set `source`, `detail_type`, `resources`, `event_bus`, `trace_header` and extra
 * `detail` keys. An event name longer than DetailType allows is cut to 128 characters and kept
 * whole in `Detail.original_detail_type`.
 */
export function buildEntry(event: Event, opts: BuildOptions): BuiltEntry {
  const parsed = parseOverrides('aws', awsOverrides, event.overrides.aws);
  if (!parsed.ok) return { ok: false, problem: { code: 'InvalidArgument', message: parsed.message } };
  const o = parsed.value;

  let detailType = o.detail_type ?? event.name;
  const extra: Record<string, unknown> = { ...o.detail };
  if (detailType.length > DETAIL_TYPE_MAX) {
    extra.original_detail_type = detailType;
    detailType = detailType.slice(0, DETAIL_TYPE_MAX);
  }
  const entry: PutEventsRequestEntry = {
    Time: new Date(event.time),
    Source: o.source ?? event.source,
    DetailType: detailType,
    Detail: JSON.stringify(eventDetail(event, { withGroup: true }, extra)),
  };
  const resources = o.resources ?? (event.resource.id?.startsWith('arn:') ? [event.resource.id] : []);
  if (resources.length) entry.Resources = resources;
  const bus = o.event_bus ?? opts.defaultBus;
  if (bus) entry.EventBusName = bus;
  const trace = o.trace_header ?? (event.traceId ? xrayTraceHeader(event.traceId, event.spanId) : undefined);
  if (trace) entry.TraceHeader = trace;

  // Detail is serialised from an object above: a JSON object by construction, not parsed again.
  const problem = entryProblem(entry, opts.maxRequestBytes, { detail: false });
  return problem ? { ok: false, problem } : { ok: true, entry, size: putEventsEntrySize(entry) };
}

/** W3C trace id → X-Ray header: `Root=1-<8 hex epoch>-<24 hex>;Parent=<16 hex>;Sampled=1`. */
export function xrayTraceHeader(traceId: string, spanId: string | undefined): string | undefined {
  if (!/^[0-9a-f]{32}$/.test(traceId)) return undefined;
  const root = `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
  return spanId && /^[0-9a-f]{16}$/.test(spanId) ? `${root};Parent=${spanId};Sampled=1` : root;
}
