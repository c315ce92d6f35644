import type { Event } from './event.ts';

/**
 * Where an event keeps its JSON text. A symbol-keyed own property rather than a WeakMap: under a
 * backlog every event passed through a WeakMap of ~50k entries, and WeakMap entries are
 * ephemerons, which V8 marks in extra passes and rehashes as they come and go (measured on
 * bench/tail.ts). JSON.stringify skips symbol keys, so the text never ends up in itself.
 */
const JSON_TEXT = Symbol('eventJson');
type Memo = { [JSON_TEXT]?: string };

/**
 * The event as JSON, serialised once per event object: the spool stores this text and the
 * JSON-line sinks write it, so a backlog of events is not stringified once per consumer.
 * Events are not changed after the rules built them, which is what makes the memo safe.
 */
export function eventJson(event: Event): string {
  const memo = event as Event & Memo;
  return (memo[JSON_TEXT] ??= JSON.stringify(event));
}

/** Remembers the text an event was parsed from (read back from the spool). */
export function rememberEventJson(event: Event, text: string): void {
  (event as Event & Memo)[JSON_TEXT] = text;
}
