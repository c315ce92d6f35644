import type { AomEvent } from './wire.ts';
import type { Event } from '../../model/event.ts';
import { isRecord, overrideBlock, overrideText } from '../overrides.ts';

/** One EventModel of `PUT /v2/{project_id}/push/events` (typed once, with the emulator). */
export type AomEntry = AomEvent;

export const AOM_MAX_TIMEOUT_MS = 15 * 24 * 3_600_000;
/** AOM's own default auto-clear period: 5 days. */
export const AOM_DEFAULT_TIMEOUT_MS = 5 * 24 * 3_600_000;
const METADATA_MAX = 2048;

export interface AomBuildOptions {
  eventType: 'alarm' | 'event';
  resourceProvider: string;
  resourceType: string;
  timeoutMs: number;
}

/**
 * Event → AOM EventModel. metadata: event_name = name, event_severity = severity, event_type
 * (config, `alarm` by default), resource_provider / resource_type (the event's resource, else
 * config defaults), resource_id (resource id, else the event key). A raise sets `starts_at` and
 * `timeout`; a clear sets `ends_at` with the same identity, so AOM ends the alarm it names.
 * annotations: `message` = content, `source`, the event's attributes. The rule's `huawei_aom:`
 * block may set `id`, `timeout`, `attach_rule`, and keys of `metadata` / `annotations`.
 */
export function toAomEntry(event: Event, opts: AomBuildOptions): AomEntry {
  const o = overrideBlock(event, 'huawei_aom');
  const metadata: Record<string, string> = {
    event_name: event.name,
    event_severity: event.severity,
    event_type: overrideText(o.event_type) ?? opts.eventType,
    resource_provider: overrideText(o.resource_provider) ?? event.resource.provider ?? opts.resourceProvider,
    resource_type: overrideText(o.resource_type) ?? event.resource.type ?? opts.resourceType,
    resource_id: overrideText(o.resource_id) ?? event.resource.id ?? (event.key || event.name),
  };
  if (isRecord(o.metadata)) for (const [k, v] of Object.entries(o.metadata)) if (v !== null && v !== undefined && v !== '') metadata[k] = String(v);
  for (const k of Object.keys(metadata)) if (metadata[k]!.length > METADATA_MAX) metadata[k] = metadata[k]!.slice(0, METADATA_MAX);

  const annotations: Record<string, unknown> = { message: event.content, source: event.source, ...event.attributes };
  if (event.resource.name) annotations.resource_name = event.resource.name;
  if (isRecord(o.annotations)) Object.assign(annotations, o.annotations);

  const entry: AomEntry = { metadata, annotations };
  if (event.action === 'clear') {
    entry.ends_at = event.time;
  } else {
    entry.starts_at = event.time;
    const timeout = typeof o.timeout === 'number' ? o.timeout : opts.timeoutMs;
    entry.timeout = Math.min(Math.max(0, Math.round(timeout)), AOM_MAX_TIMEOUT_MS);
  }
  if (isRecord(o.attach_rule)) entry.attach_rule = o.attach_rule;
  const id = overrideText(o.id);
  if (id) entry.id = id;
  return entry;
}

/** Bytes of the entry inside `{"events":[...]}` (plus its comma). */
export function aomEntrySize(entry: AomEntry): number {
  return Buffer.byteLength(JSON.stringify(entry)) + 1;
}
