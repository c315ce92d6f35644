import type { Event } from '../model/event.ts';
import { rememberEventJson } from '../model/event-json.ts';
import type { Logger } from '../observability/logger.ts';
import type { DeadLetterMove, StateStore } from '../store/state-store.ts';
import type { SpooledEntry } from './lane-entry.ts';

/**
 * Entries held in memory per lane, at least: more only held memory (4096 cost ~4 MiB of peak RSS
 * on a backlog, bench/README.md); what does not fit waits in the spool, which is durable anyway.
 */
export const MIN_WINDOW = 1024;
const READ_PAGE = 1000;

export interface SpoolWindowDeps {
  store: StateStore;
  sink: string;
  logger: Logger;
  /** Most entries the lane holds in memory; the rest wait in the spool. */
  size: number;
  /** Entries the lane holds in memory now (pending, waiting, backing off, in flight). */
  inMemory: () => number;
}

/**
 * A lane's bounded window onto its spooled entries: a cursor over the sink's rows, whether rows
 * past it wait unread, and the rows of held entries that were spooled while in the lane's memory
 * (which a read must skip). Commits hand entries straight to the lane while it has room and
 * nothing is left unread, so that the spool is read only after a backlog formed.
 */
export class SpoolWindow {
  private readonly deps: SpoolWindowDeps;
  readonly size: number;
  private cursor = 0;
  private more = true;
  private readonly adopted = new Set<number>();

  constructor(deps: SpoolWindowDeps) {
    this.deps = deps;
    this.size = deps.size;
  }

  /** Rows past the cursor may wait unread. */
  get hasMore(): boolean {
    return this.more;
  }

  /** Whether `count` more entries may go straight to memory, in order with the spool. */
  hasRoom(count: number): boolean {
    return !this.more && this.deps.inMemory() + count <= this.size;
  }

  /** An entry went straight to memory from its commit: the cursor moves past it. */
  took(seq: number): void {
    this.cursor = Math.max(this.cursor, seq);
  }

  /** Rows were added that the lane did not take (no room, or another process replayed some). */
  markMore(): void {
    this.more = true;
  }

  /** A held entry in memory was spooled: a read must not bring its row in again. */
  adopt(seq: number): void {
    this.adopted.add(seq);
  }

  /** The entry's row is settled (delivered or dead): it leaves the skip set. */
  settled(seq: number): void {
    if (this.adopted.size > 0) this.adopted.delete(seq);
  }

  /**
   * Reads spooled entries into `take` until the window is full or the spool is read; a row
   * whose event cannot be parsed goes to `unreadable` as a dead letter.
   */
  fill(take: (entry: SpooledEntry) => void, unreadable: (move: DeadLetterMove) => void): void {
    const { store, sink, logger, inMemory } = this.deps;
    while (this.more && inMemory() < this.size) {
      const want = Math.min(READ_PAGE, this.size - inMemory());
      let rows;
      try {
        rows = store.readEntries(sink, this.cursor, want);
      } catch (err) {
        logger.error('cannot read the spool', { error: err as Error });
        return;
      }
      const now = Date.now();
      for (const r of rows) {
        this.cursor = r.seq;
        if (this.adopted.size > 0 && this.adopted.has(r.seq)) continue;
        const { seq, eventRow, attempts, firstAttempt } = r;
        let event: Event;
        try {
          event = JSON.parse(r.body) as Event;
          rememberEventJson(event, r.body);
        } catch (err) {
          const message = `spooled event is not valid JSON: ${(err as Error).message}`;
          unreadable({ seq, eventRow, sink, code: 'unreadable', message, attempts, firstAttempt, lastAttempt: null });
          continue;
        }
        take({ kind: 'spooled', seq, eventRow, event, size: 0, attempts, firstAttempt, readyAt: now });
      }
      if (rows.length < want) this.more = false;
    }
  }
}
