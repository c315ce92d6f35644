import { createHash } from 'node:crypto';
import type { Event } from '../../model/event.ts';
import { parseOverrides } from '../override-values.ts';
import { isRecord } from '../overrides.ts';
import type { EntryProblem } from '../sink.ts';
import { AOM_METADATA_MAX, type AomEventType, aomEventProblem } from './limits.ts';
import { type AomOverrides, aomOverrides } from './overrides.ts';
import type { AomEvent } from './wire.ts';

export interface AomBuildOptions {
  eventType: AomEventType;
  resourceProvider: string;
  resourceType: string;
  timeoutMs: number;
}

/** An event's EventModel, or why AOM would refuse it (`check` dead-letters it alone). */
export type AomBuild = { ok: true; entry: AomEvent } | { ok: false; problem: EntryProblem };

/** Code of an event the sink will not send: it breaks a rule of limits.ts. */
export const AOM_INVALID_EVENT = 'aom.invalid_event';

/** Prefix of the annotation that keeps a metadata value cut to 2048 characters whole. */
export const ORIGINAL_PREFIX = 'original_';

/**
 * Event → AOM EventModel. metadata: event_name ← name, event_severity ← severity, event_type ←
 * config (`alarm`), resource_provider / resource_type ← the event's resource (else config),
 * resource_id ← resource id (else the event key); the rule's `huawei_aom:` block wins, its
 * `metadata:` last. annotations (strings): message ← content, source, resource_name, attributes,
 * then the block's `annotations`. A raise sends `starts_at` and `timeout`, a clear `ends_at`;
 * both send the same `id` (`alarmId`), which a clear needs.
 */
export function buildAomEntry(event: Event, opts: AomBuildOptions): AomBuild {
  const parsed = parseOverrides('huawei_aom', aomOverrides, withoutEmpty(event.overrides.huawei_aom));
  if (!parsed.ok) return { ok: false, problem: { code: AOM_INVALID_EVENT, message: parsed.message } };
  const o: AomOverrides = parsed.value;
  const clear = event.action === 'clear';

  const metadata: Record<string, string> = {
    event_name: event.name,
    event_severity: o.event_severity ?? event.severity,
    event_type: o.event_type ?? opts.eventType,
    resource_provider: o.resource_provider ?? event.resource.provider ?? opts.resourceProvider,
    resource_type: o.resource_type ?? event.resource.type ?? opts.resourceType,
    resource_id: o.resource_id ?? event.resource.id ?? (event.key || event.name),
  };
  for (const [k, v] of Object.entries(o.metadata ?? {})) if (v !== undefined) metadata[k] = v;

  const annotations: Record<string, string> = { message: event.content, source: event.source, ...event.attributes };
  if (event.resource.name) annotations.resource_name = event.resource.name;
  Object.assign(annotations, o.annotations);
  // Lossless fix: a value over AOM's 2048 characters is cut, the whole value kept in annotations.
  for (const [k, v] of Object.entries(metadata)) {
    if (v.length > AOM_METADATA_MAX) {
      annotations[`${ORIGINAL_PREFIX}${k}`] = v;
      metadata[k] = v.slice(0, AOM_METADATA_MAX);
    }
  }

  const entry: AomEvent = { metadata, annotations, id: o.id ?? alarmId(event.key || `${event.name}|${event.resource.id ?? ''}`) };
  if (clear) entry.ends_at = event.time;
  else {
    entry.starts_at = event.time;
    entry.timeout = o.timeout ?? opts.timeoutMs;
  }
  if (o.attach_rule) entry.attach_rule = o.attach_rule;
  const problem = aomEventProblem(entry, clear);
  if (problem) return { ok: false, problem: { code: AOM_INVALID_EVENT, message: `${problem.field || 'event'} ${problem.message}` } };
  return { ok: true, entry };
}

/**
 * The alarm's id: a digest of the event key, so the raise and the clear of one alarm (same key:
 * by default name + resource id, or the rule's `key:`) carry the same id and a clear reaches the
 * alarm it ends. 32 hex characters; a rule's `huawei_aom.id` replaces it.
 */
export function alarmId(key: string): string {
  return createHash('sha256').update(`log2events\u0000${key}`).digest('hex').slice(0, 32);
}

/** Bytes of the entry inside `{"events":[...]}` (plus its comma). */
export function aomEntrySize(entry: AomEvent): number {
  return Buffer.byteLength(JSON.stringify(entry)) + 1;
}

/**
 * A template that rendered empty means "not set" (the neutral field applies), as a missing
 * capture should: drop such values before the block is parsed.
 */
function withoutEmpty(block: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!block) return block;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(block)) {
    if (v === '' || v === null || v === undefined) continue;
    out[k] =
      k === 'metadata' && isRecord(v)
        ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== '' && x !== null && x !== undefined))
        : v;
  }
  return out;
}
