import { eventDetail } from '../event-json.ts';
import type { Event } from '../../model/event.ts';
import { percentEncode } from '../alibaba/signer.ts';
import { overrideBlock, overrideText } from '../overrides.ts';

/** One `EventInfo.N` of PutCustomEvent. */
export interface CmsEventInfo {
  EventName: string;
  Content: string;
  /** Epoch milliseconds, as a string. */
  Time: string;
  GroupId: string;
}

/**
 * Event → EventInfo. EventName = name, Time = event time (epoch ms), GroupId = the event's group,
 * else the sink's `group_id` (`0`: no application group). Content is a JSON object, so alarm
 * rules and readers get every field: `{content, severity, state, action, source, key, id, rule,
 * resource, dimensions?, attributes?, user?, trace_id?}`. The rule's `alibaba:` block may set
 * `event_name`, `group_id`, `time`, `content` (a string replaces the JSON) or extra `detail` keys
 * merged into the JSON.
 */
export function toEventInfo(event: Event, defaultGroupId: string): CmsEventInfo {
  const o = overrideBlock(event, 'alibaba');
  let content: string;
  if (typeof o.content === 'string' && o.content !== '') {
    content = o.content;
  } else {
    content = JSON.stringify(eventDetail(event, { withSource: true }, o.detail));
  }
  return {
    EventName: overrideText(o.event_name) ?? event.name,
    Content: content,
    Time: String(typeof o.time === 'number' ? Math.round(o.time) : event.time),
    GroupId: overrideText(o.group_id) ?? event.group ?? defaultGroupId,
  };
}

/** Fields each event puts in the request. */
export function eventInfoParams(infos: readonly CmsEventInfo[]): Record<string, string> {
  const params: Record<string, string> = {};
  infos.forEach((info, i) => {
    const n = i + 1;
    params[`EventInfo.${n}.EventName`] = info.EventName;
    params[`EventInfo.${n}.Content`] = info.Content;
    params[`EventInfo.${n}.Time`] = info.Time;
    params[`EventInfo.${n}.GroupId`] = info.GroupId;
  });
  return params;
}

/** Encoded bytes of the entry's four form parameters, counting N as three digits (N ≤ 100). */
export function eventInfoSize(info: CmsEventInfo): number {
  const field = (name: string, value: string) => `EventInfo.100.${name}=`.length + percentEncode(value).length + 1;
  return field('EventName', info.EventName) + field('Content', info.Content) + field('Time', info.Time) + field('GroupId', info.GroupId);
}

/** What the provider refuses for sure: settled before sending so it cannot sink its batch. */
export function eventInfoProblem(info: CmsEventInfo): string | undefined {
  if (info.EventName === '') return 'EventName is empty: PutCustomEvent requires a name';
  return undefined;
}
