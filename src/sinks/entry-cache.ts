import type { Event } from '../model/event.ts';

/**
 * Builds each event's wire entry once: the engine asks a sink for `entrySize` when it queues an
 * event and sends the same object later (retries included), so both see the same entry.
 */
export function entryCache<T>(build: (event: Event) => T): (event: Event) => T {
  const cache = new WeakMap<Event, T>();
  return (event) => {
    let entry = cache.get(event);
    if (entry === undefined) {
      entry = build(event);
      cache.set(event, entry);
    }
    return entry;
  };
}
