import type { Event } from '../../model/event.ts';
import { eventDetail } from '../event-json.ts';
import { parseOverrides } from '../override-values.ts';
import type { EntryProblem } from '../sink.ts';
import { percentEncode } from '../alibaba/signer.ts';
import { CMS_INVALID_EVENT, cmsEventInfoProblem } from './limits.ts';
import { cmsOverrides } from './overrides.ts';
import type { CmsEventInfo } from './wire.ts';

/** An event's EventInfo and its encoded size, or why it can never be sent. */
export type BuiltEventInfo = { ok: true; info: CmsEventInfo; size: number } | { ok: false; problem: EntryProblem };

/**
 * Event → EventInfo. EventName = name, Time = event time (epoch ms), GroupId = the event's group,
 * else the sink's `group_id` (`0`: no application group). Content is a JSON object, so alarm
 * rules and readers get every field: `{content, severity, state, action, source, key, id, rule,
 * resource, dimensions?, attributes?, user?, trace_id?}`. The rule's `alibaba:` block (typed by
 * overrides.ts) may set `event_name`, `group_id`, `time`, `content` (text that replaces the JSON;
 * empty keeps the JSON) or extra `detail` keys merged into the JSON. The result is checked
 * against limits.ts; `maxEntryBytes` is the most one event may take of a request.
 */
export function buildEventInfo(event: Event, defaultGroupId: string, maxEntryBytes: number): BuiltEventInfo {
  const o = parseOverrides('alibaba', cmsOverrides, withoutEmpty(event.overrides.alibaba));
  if (!o.ok) return { ok: false, problem: { code: CMS_INVALID_EVENT, message: o.message } };
  const v = o.value;
  const info: CmsEventInfo = {
    EventName: v.event_name ?? event.name,
    Content: v.content ? v.content : JSON.stringify(eventDetail(event, { withSource: true }, v.detail)),
    Time: String(Math.round(v.time ?? event.time)),
    GroupId: v.group_id ?? event.group ?? defaultGroupId,
  };
  const size = eventInfoSize(info);
  const p = cmsEventInfoProblem(info, maxEntryBytes, size);
  if (p) return { ok: false, problem: { code: CMS_INVALID_EVENT, message: `${p.message}${fieldOrigin(p.field, v)}` } };
  return { ok: true, info, size };
}

/**
 * A template that rendered nothing (an attribute the record lacks) leaves its key out, so the
 * neutral field applies, as when the key is not written; a literal empty value was refused at load.
 */
function withoutEmpty(block: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!block) return block;
  return Object.fromEntries(Object.entries(block).filter(([, v]) => v !== ''));
}

/** Which rule field a refused wire field came from, so the message leads to the fix. */
function fieldOrigin(field: keyof CmsEventInfo, v: { event_name?: string; group_id?: string; time?: number; content?: string }): string {
  const from: Record<keyof CmsEventInfo, string | undefined> = {
    EventName: v.event_name !== undefined ? 'alibaba.event_name' : 'name',
    Content: v.content ? 'alibaba.content' : 'content',
    Time: v.time !== undefined ? 'alibaba.time' : 'time',
    GroupId: v.group_id !== undefined ? 'alibaba.group_id' : "group (or the sink's group_id)",
  };
  return ` (from the event's ${from[field]})`;
}

/** Encoded bytes of the entry's four form parameters, counting N as three digits (N ≤ 100). */
export function eventInfoSize(info: CmsEventInfo): number {
  const field = (name: string, value: string) => `EventInfo.100.${name}=`.length + percentEncode(value).length + 1;
  return field('EventName', info.EventName) + field('Content', info.Content) + field('Time', info.Time) + field('GroupId', info.GroupId);
}

/** A form body (`k=v&...`, RFC 3986 encoding as the signature canonicalises it). */
export function formBody(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}
