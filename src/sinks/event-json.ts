import type { Event } from '../model/event.ts';
import { eventJson } from '../model/event-json.ts';
import { isRecord } from './overrides.ts';

/** One event as a JSON line, the format of the stdout and file sinks and of `eval`. */
export function eventJsonLine(event: Event): string {
  return eventJson(event) + '\n';
}

/** Bytes of `eventJsonLine(event)`, without building the line. */
export function eventJsonLineBytes(event: Event): number {
  return Buffer.byteLength(eventJson(event)) + 1;
}

/**
 * The event as a JSON object for providers whose payload is free-form (EventBridge `Detail`,
 * CloudMonitor `Content`): everything the neutral model knows beyond the fields the provider
 * has its own slots for. `extra` (a rule's override `detail:` block) is merged last.
 */
export function eventDetail(
  event: Event,
  opts: { withSource?: boolean; withGroup?: boolean } = {},
  extra?: unknown,
): Record<string, unknown> {
  const d: Record<string, unknown> = {
    id: event.id,
    rule: event.rule,
    content: event.content,
    severity: event.severity,
    state: event.state,
    action: event.action,
    key: event.key,
    resource: event.resource,
  };
  if (opts.withSource) d.source = event.source;
  if (Object.keys(event.dimensions).length) d.dimensions = event.dimensions;
  if (Object.keys(event.attributes).length) d.attributes = event.attributes;
  if (opts.withGroup && event.group) d.group = event.group;
  if (event.user) d.user = event.user;
  if (event.traceId) d.trace_id = event.traceId;
  if (isRecord(extra)) Object.assign(d, extra);
  return d;
}
