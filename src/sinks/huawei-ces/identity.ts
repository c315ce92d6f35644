import { TIME_WINDOW, inTimeWindow } from './limits.ts';

/**
 * Keeps distinct events distinct at Cloud Eye, which stores events identical in time and in its
 * other identity fields (not the content) as one: each event gets a send time in ms that no other
 * event of the same identity has, and keeps it for every retry (so a retried request, after a lost
 * answer, still deduplicates).
 *
 * The time is the event's own (or, outside the window, a clamped one); when another event of the
 * same identity already holds that millisecond, the next free millisecond after it. It is assigned
 * when the event is first sent and remembered by event id while Cloud Eye could still take it
 * (about 70 minutes); an event refused for its time is forgotten and fitted anew.
 */
/** Milliseconds tried one by one after a taken one before jumping past the latest held. */
const PROBES = 8;

export class CesTimes {
  /** identity → ms → event id holding it, and the latest ms held (nothing later is taken). */
  private readonly taken = new Map<string, { times: Map<number, string>; latest: number }>();
  /** event id → its time and identity, for events sent at another time than their own. */
  private readonly moved = new Map<string, { identity: string; time: number }>();
  private assigned = 0;
  private readonly pruneEvery: number;

  constructor(pruneEvery = 10_000) {
    this.pruneEvery = pruneEvery;
  }

  /**
   * The send time of an event. `own` is its time; `fit(own)` the time to send when `own` is
   * outside the window (or undefined when it is inside); `usable(t)` whether a time assigned
   * earlier can still be sent.
   */
  timeFor(
    eventId: string,
    identity: string,
    own: number,
    fit: (own: number) => number | undefined,
    usable: (t: number) => boolean,
  ): number {
    const held = this.timesOf(identity);
    const { times } = held;
    const moved = this.moved.get(eventId);
    if (moved && moved.identity === identity && usable(moved.time)) return moved.time;
    if (times.get(own) === eventId && fit(own) === undefined) return own;
    let t = fit(own) ?? own;
    // The next free ms close by; past a few, the one after the latest held. Many events clamped
    // to one time (a backlog of old lines) would otherwise each walk past all the earlier ones.
    for (let probes = 0; times.has(t) && times.get(t) !== eventId; probes++) t = probes < PROBES ? t + 1 : held.latest + 1;
    times.set(t, eventId);
    if (t > held.latest) held.latest = t;
    if (t !== own) this.moved.set(eventId, { identity, time: t });
    if (++this.assigned % this.pruneEvery === 0) this.prune(Date.now());
    return t;
  }

  /** Cloud Eye refused the event for its time: its next send is fitted anew. */
  forget(eventId: string): void {
    const moved = this.moved.get(eventId);
    if (!moved) return;
    this.moved.delete(eventId);
    const times = this.taken.get(moved.identity)?.times;
    if (times?.get(moved.time) === eventId) times.delete(moved.time);
  }

  /** Drops times Cloud Eye can no longer take: nothing sent from now on can collide with them. */
  prune(now: number): void {
    const oldest = now - TIME_WINDOW.pastMs - TIME_WINDOW.futureMs;
    for (const [identity, { times }] of this.taken) {
      for (const t of times.keys()) if (t < oldest) times.delete(t);
      if (times.size === 0) this.taken.delete(identity);
    }
    for (const [id, m] of this.moved) if (m.time < oldest) this.moved.delete(id);
  }

  /** Events remembered (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const { times } of this.taken.values()) n += times.size;
    return n;
  }

  private timesOf(identity: string): { times: Map<number, string>; latest: number } {
    let held = this.taken.get(identity);
    if (!held) this.taken.set(identity, (held = { times: new Map(), latest: Number.NEGATIVE_INFINITY }));
    return held;
  }
}

/**
 * Where an event outside the window is sent: its margin inside the bound it is past (an old log
 * line lands `margin` after the window's start, a future one a minute ahead of now at most).
 */
export function clampTime(own: number, now: number, marginMs: number): number | undefined {
  if (inTimeWindow(own, now, marginMs)) return undefined;
  if (own < now) return now - TIME_WINDOW.pastMs + 2 * marginMs;
  return Math.min(now + 60_000, now + TIME_WINDOW.futureMs - 2 * marginMs);
}
