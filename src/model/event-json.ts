import type { Event } from './event.ts';

const texts = new WeakMap<Event, string>();

/**
 * The event as JSON, serialised once per event object: the spool stores this text and the
 * JSON-line sinks write it, so a backlog of events is not stringified once per consumer.
 * Events are not changed after the rules built them, which is what makes the memo safe.
 */
export function eventJson(event: Event): string {
  let text = texts.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    texts.set(event, text);
  }
  return text;
}

/** Remembers the text an event was parsed from (read back from the spool). */
export function rememberEventJson(event: Event, text: string): void {
  texts.set(event, text);
}
