import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Event } from '../../model/event.ts';
import { eventDetail } from '../event-json.ts';
import { overrideBlock, overrideString } from '../overrides.ts';

/**
 * Event → PutEvents entry. `Source` is the event source, `DetailType` the event name,
 * `Detail` a JSON object with everything else; a rule's `aws:` override block may set
 * `source`, `detail_type`, `resources`, `event_bus`, `trace_header`, and extra `detail` keys.
 */
export function toPutEventsEntry(event: Event, defaultBus: string | undefined): PutEventsRequestEntry {
  const o = overrideBlock(event, 'aws');
  const detail = eventDetail(event, { withGroup: true }, o.detail);

  const entry: PutEventsRequestEntry = {
    Time: new Date(event.time),
    Source: overrideString(o.source) ?? event.source,
    DetailType: (overrideString(o.detail_type) ?? event.name).slice(0, 128),
    Detail: JSON.stringify(detail),
  };
  const resources = Array.isArray(o.resources) ? o.resources.map(String).filter(Boolean) : event.resource.id?.startsWith('arn:') ? [event.resource.id] : [];
  if (resources.length) entry.Resources = resources;
  const bus = overrideString(o.event_bus) ?? defaultBus;
  if (bus) entry.EventBusName = bus;
  const trace = overrideString(o.trace_header) ?? (event.traceId ? xrayTraceHeader(event.traceId, event.spanId) : undefined);
  if (trace) entry.TraceHeader = trace;
  return entry;
}

/**
 * The documented PutEvents entry size: 14 bytes for Time, plus the UTF-8 bytes of Source,
 * DetailType, Detail and each Resources item.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? '') + Buffer.byteLength(entry.DetailType ?? '') + Buffer.byteLength(entry.Detail ?? '');
  for (const r of entry.Resources ?? []) size += Buffer.byteLength(r);
  return size;
}

/** W3C trace id → X-Ray header: `Root=1-<8 hex epoch>-<24 hex>;Parent=<16 hex>;Sampled=1`. */
function xrayTraceHeader(traceId: string, spanId: string | undefined): string | undefined {
  if (!/^[0-9a-f]{32}$/.test(traceId)) return undefined;
  const root = `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
  return spanId && /^[0-9a-f]{16}$/.test(spanId) ? `${root};Parent=${spanId};Sampled=1` : root;
}
