import type { Event, EventAction } from '../model/event.ts';

/**
 * An entry is known by its event object: one per entry in a lane, and kept when a held entry
 * becomes the spooled entry its row makes it (a seq would change then, and held entries have none).
 */
interface Ordered {
  readonly event: Pick<Event, 'key' | 'action'>;
}
type Identity = Ordered['event'];

/** Reads an entry's alarm identity; anything but a clear counts as a raise. */
function identity(e: Ordered): { key: string; action: EventAction } {
  return { key: e.event.key ?? '', action: e.event.action === 'clear' ? 'clear' : 'raise' };
}

/**
 * Keeps a raise and a clear of the same alarm (same `key`) from overtaking each other across
 * requests: while entries of one action for a key are unresolved (in flight or backing off),
 * entries of the other action for that key wait here, and so does everything behind them for
 * that key. Entries of the same action flow freely, and a raise and its clear cut into one
 * request go together (the sink keeps the order inside a request).
 */
export class ActionOrder<T extends Ordered> {
  /** Unresolved entries per key and action. */
  private readonly open = new Map<string, Record<EventAction, Set<Identity>>>();
  /** Entries waiting for their key, in arrival order. */
  private readonly parked = new Map<string, T[]>();
  private parkedCount = 0;

  get waiting(): number {
    return this.parkedCount;
  }

  /**
   * Splits a cut batch into what may be sent now and what must wait (kept here), and marks what
   * is sent as unresolved.
   */
  admit(batch: readonly T[]): T[] {
    const send: T[] = [];
    for (const e of batch) {
      const { key, action } = identity(e);
      const sets = this.open.get(key);
      // A retry of an entry that is already unresolved goes: it is what the others wait for.
      const retry = sets?.[action].has(e.event) ?? false;
      const other = sets?.[action === 'raise' ? 'clear' : 'raise'];
      if (!retry && (this.parked.has(key) || (other !== undefined && other.size > 0))) {
        const queue = this.parked.get(key);
        if (queue) queue.push(e);
        else this.parked.set(key, [e]);
        this.parkedCount += 1;
      } else {
        send.push(e);
      }
    }
    for (const e of send) {
      const { key, action } = identity(e);
      let sets = this.open.get(key);
      if (!sets) {
        sets = { raise: new Set(), clear: new Set() };
        this.open.set(key, sets);
      }
      sets[action].add(e.event);
    }
    return send;
  }

  /** `e` reached a final outcome (delivered or dead). Returns the entries it releases. */
  resolved(e: T): T[] {
    const { key, action } = identity(e);
    const sets = this.open.get(key);
    if (!sets) return [];
    sets[action].delete(e.event);
    if (sets.raise.size > 0 || sets.clear.size > 0) return [];
    this.open.delete(key);
    const released = this.parked.get(key) ?? [];
    this.parked.delete(key);
    this.parkedCount -= released.length;
    return released;
  }

  /** Forgets waiting entries matching `pred` (dropped from the spool). */
  remove(pred: (e: T) => boolean): void {
    for (const [key, queue] of this.parked) {
      const kept = queue.filter((e) => !pred(e));
      this.parkedCount -= queue.length - kept.length;
      if (kept.length > 0) this.parked.set(key, kept);
      else this.parked.delete(key);
    }
  }

  clear(): void {
    this.open.clear();
    this.parked.clear();
    this.parkedCount = 0;
  }
}
