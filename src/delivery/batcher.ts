import type { SinkLimits } from '../sinks/sink.ts';

export interface Batchable {
  /** Size in the sink's own accounting (`Sink.entrySize`). */
  size: number;
  /** When it became sendable: linger counts from here. */
  readyAt: number;
}

export type Cut<T> = { batch: T[] } | { waitUntil: number } | { empty: true };

/**
 * The pending entries of one sink and the rule that cuts them into requests: as many as fit
 * `maxEntries` and `maxBytes`, at once when a request is full, else once the oldest entry has
 * waited `linger` ms. Entries larger than `maxBytes` must be refused before `push`.
 */
export class Batcher<T extends Batchable> {
  /** Consumed slots before `head` are cleared, so that a sent entry is not kept alive here. */
  private items: (T | undefined)[] = [];
  private head = 0;
  private readonly limits: SinkLimits;
  private readonly linger: number;

  constructor(limits: SinkLimits, linger: number) {
    this.limits = limits;
    this.linger = linger;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The next request's entries; `force` ignores linger (shutdown). */
  cut(now: number, force = false): Cut<T> {
    if (this.length === 0) return { empty: true };
    const { maxEntries, maxBytes } = this.limits;
    let bytes = 0;
    let end = this.head;
    let oldest = Infinity;
    while (end < this.items.length && end - this.head < maxEntries) {
      const item = this.items[end];
      if (item === undefined) {
        end += 1; // only slots before `head` are emptied: none here
        continue;
      }
      if (bytes + item.size > maxBytes) break;
      bytes += item.size;
      oldest = Math.min(oldest, item.readyAt);
      end += 1;
    }
    const full = end < this.items.length || end - this.head >= maxEntries;
    if (!full && !force && oldest + this.linger > now) return { waitUntil: oldest + this.linger };
    const batch: T[] = [];
    for (let i = this.head; i < end; i++) {
      const item = this.items[i];
      if (item !== undefined) batch.push(item);
    }
    this.items.fill(undefined, this.head, end);
    this.head = end;
    // Drop the consumed prefix once empty, or now and then, so the array does not grow without bound.
    if (this.head === this.items.length) this.clear();
    else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return { batch };
  }

  /** Removes the entries matching `pred`. */
  remove(pred: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter((e) => e !== undefined && !pred(e));
    this.head = 0;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
