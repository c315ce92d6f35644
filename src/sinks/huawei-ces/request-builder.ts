import type { CesDetail as WireDetail } from './wire.ts';
import type { Event } from '../../model/event.ts';
import { isRecord, overrideBlock, overrideString } from '../overrides.ts';

/** A CreateEvents entry as Cloud Eye takes it. */
export interface CesEntry {
  event_name: string;
  event_source: string;
  time: number;
  detail: CesDetail;
}

/** The documented detail fields (typed once, with the emulator), plus any a rule's override adds. */
export type CesDetail = WireDetail & Record<string, unknown>;

export const CES_EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const CES_EVENT_SOURCE = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$/;
export const MAX_CONTENT = 4096;
const MAX_RESOURCE_ID = 128;
const MAX_RESOURCE_NAME = 128;
const MAX_USER = 64;
const MAX_DIMENSIONS = 4;
const DETAIL_KEYS = ['content', 'group_id', 'resource_id', 'resource_name', 'event_state', 'event_level', 'event_user', 'event_type', 'sub_event_type', 'dimensions'] as const;

/** Cloud Eye's accepted `time` window, relative to its clock: [now − 1h + 10 s, now + 10 min − 10 s]. */
export const TIME_WINDOW = { pastMs: 3_600_000 - 10_000, futureMs: 600_000 - 10_000 };
/** Where clamped old events land: a minute inside the window, so clock skew and retries keep them in. */
const CLAMP_PAST_MS = 3_600_000 - 60_000;
const CLAMP_FUTURE_MS = 60_000;

export interface CesBuildOptions {
  /** Default resource group (24 characters); an override's `group_id` wins. */
  groupId?: string | undefined;
}

/**
 * Event → CreateEvents entry. `event_name` = name, `event_source` = source, `time` = event time,
 * detail from content (truncated to 4096), resource (id sanitised to `[A-Za-z0-9_:-]`, ≤ 128),
 * state, severity, user and the first four dimensions; `event_type` EVENT.CUSTOM and
 * `sub_event_type` SUB_EVENT.CUSTOM. The rule's `huawei_ces:` block may set `event_name`,
 * `event_source`, `time`, any detail key at top level, or a `detail:` object.
 */
export function toCesEntry(event: Event, opts: CesBuildOptions = {}): CesEntry {
  const o = overrideBlock(event, 'huawei_ces');
  const detail: CesDetail = {
    content: event.content,
    event_state: event.state,
    event_level: event.severity,
    event_type: 'EVENT.CUSTOM',
    sub_event_type: 'SUB_EVENT.CUSTOM',
  };
  if (event.resource.id) detail.resource_id = sanitizeResourceId(event.resource.id);
  if (event.resource.name) detail.resource_name = sanitizeResourceName(event.resource.name);
  if (event.user) detail.event_user = sanitizeUser(event.user);
  if (opts.groupId) detail.group_id = opts.groupId;
  const dims = Object.entries(event.dimensions).slice(0, MAX_DIMENSIONS).map(([name, value]) => ({ name, value }));
  if (dims.length) detail.dimensions = dims;
  for (const k of DETAIL_KEYS) if (o[k] !== undefined) detail[k] = o[k] as never;
  if (isRecord(o.detail)) Object.assign(detail, o.detail);
  if (typeof detail.content === 'string' && detail.content.length > MAX_CONTENT) detail.content = truncate(detail.content, MAX_CONTENT);
  return {
    event_name: overrideString(o.event_name) ?? event.name,
    event_source: overrideString(o.event_source) ?? event.source,
    time: typeof o.time === 'number' ? o.time : event.time,
    detail,
  };
}

/** Bytes of the entry in the JSON array (plus its comma), with room for a clamp note. */
export function cesEntrySize(entry: CesEntry): number {
  return Buffer.byteLength(JSON.stringify(entry)) + 1 + CLAMP_NOTE_BYTES;
}

/**
 * A name or source Cloud Eye can never accept: refused before sending, for that event alone
 * (the API is all-or-nothing, so one such event would otherwise sink its whole batch).
 */
export function cesEntryProblem(entry: CesEntry): string | undefined {
  if (!CES_EVENT_NAME.test(entry.event_name)) {
    return `event_name "${clipName(entry.event_name)}" is invalid for Cloud Eye: it must start with a letter and have 1 to 64 letters, digits or underscores`;
  }
  const s = entry.event_source;
  if (s.length < 3 || s.length > 32 || !CES_EVENT_SOURCE.test(s)) {
    return `event_source "${clipName(s)}" is invalid for Cloud Eye: use service.item, 3 to 32 characters, each part starting with a letter ([A-Za-z0-9_])`;
  }
  return undefined;
}

export type OldEventsPolicy = 'clamp' | 'reject';
export type TimeFit = { ok: true; entry: CesEntry } | { ok: false; message: string };

const CLAMP_NOTE = (original: number) => ` [occurred at ${new Date(original).toISOString()}]`;
const CLAMP_NOTE_BYTES = CLAMP_NOTE(0).length;

/**
 * Fits an entry's time into Cloud Eye's window at send time (a spooled event may have aged past
 * it). `clamp` moves it to a minute inside the window and keeps the original time at the end of
 * the content; `reject` refuses it.
 */
export function fitTimeWindow(entry: CesEntry, policy: OldEventsPolicy, now: number): TimeFit {
  const earliest = now - TIME_WINDOW.pastMs;
  const latest = now + TIME_WINDOW.futureMs;
  if (entry.time >= earliest && entry.time <= latest) return { ok: true, entry };
  const when = entry.time < earliest ? `${Math.round((now - entry.time) / 60_000)} min in the past` : `${Math.round((entry.time - now) / 60_000)} min in the future`;
  if (policy === 'reject') {
    return { ok: false, message: `event time ${new Date(entry.time).toISOString()} is ${when}; Cloud Eye only accepts [now - 1h + 10s, now + 10min - 10s] (old_events: reject)` };
  }
  const time = entry.time < earliest ? now - CLAMP_PAST_MS : now + CLAMP_FUTURE_MS;
  const note = CLAMP_NOTE(entry.time);
  const content = truncate(entry.detail.content ?? '', MAX_CONTENT - note.length) + note;
  return { ok: true, entry: { ...entry, time, detail: { ...entry.detail, content } } };
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Do not cut a surrogate pair in half.
  let end = max - 1;
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return `${text.slice(0, end)}…`;
}

function sanitizeResourceId(id: string): string {
  return id.replace(/[^A-Za-z0-9_:-]/g, '_').slice(0, MAX_RESOURCE_ID);
}

function sanitizeResourceName(name: string): string {
  return name.replace(/[^\p{L}\p{N}@_.-]/gu, '_').slice(0, MAX_RESOURCE_NAME);
}

function sanitizeUser(user: string): string {
  return user.replace(/[^\p{L}\p{N}_\- ]/gu, '_').slice(0, MAX_USER);
}

function clipName(name: string): string {
  return name.length > 80 ? `${name.slice(0, 79)}…` : name;
}
