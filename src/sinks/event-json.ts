import type { Event } from '../model/event.ts';

/** One event as a JSON line, the format of the stdout and file sinks and of `eval`. */
export function eventJsonLine(event: Event): string {
  return JSON.stringify(event) + '\n';
}
