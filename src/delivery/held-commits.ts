import type { Event } from '../model/event.ts';
import type { CheckpointRow, EventToSpool } from '../store/state-store.ts';
import type { LaneEntry } from './sink-lane.ts';

/**
 * Ack-driven checkpoints for sources that can read their input again (files).
 *
 * A replayable commit whose sinks have room in memory is not written to the spool: its events
 * go to the lanes as they are, and its checkpoints wait here. The commits held form a FIFO; the
 * oldest ones are written (checkpoints only) once every entry of theirs is delivered, so the
 * store always holds a prefix of the commits the source made, and whatever comes after that
 * prefix is still in the file, behind the committed position: a crash re-reads it. A held
 * commit is spooled ("spilled") the ordinary way, in order with every older one, as soon as
 * one of its entries fails, it grows old, its file is rotated or goes away, or the agent stops.
 * Nothing is lost and nothing is doubled at the hand-off; only the delivered events after the
 * committed position are sent again after a crash, with their ids, as with a spooled event
 * delivered but not yet removed.
 */
export interface HeldCommit {
  readonly checkpoints: readonly CheckpointRow[];
  readonly events: readonly HeldEvent[];
  /** Events of this commit with an entry that has not reached its final outcome. */
  open: number;
  readonly since: number;
}

export interface HeldEvent {
  readonly commit: HeldCommit;
  readonly row: EventToSpool;
  readonly event: Event;
  /** One per sink of `row.sinks`, in that order. */
  entries: readonly LaneEntry[];
  /** Entries not delivered yet. */
  open: number;
}

/** What a spill writes: rows for the entries not delivered yet, and the checkpoints, in order. */
export interface Spill {
  rows: EventToSpool[];
  /** For each row, the entries it creates, in the order of `rows[i].sinks`. */
  entries: LaneEntry[][];
  checkpoints: CheckpointRow[];
  events: number;
}

export class HeldCommits {
  private queue: HeldCommit[] = [];
  /** Events held in all commits, for the gauge. */
  private heldEvents = 0;

  get size(): number {
    return this.queue.length;
  }

  get events(): number {
    return this.heldEvents;
  }

  /** The oldest commit held, if any. */
  get oldest(): HeldCommit | undefined {
    return this.queue[0];
  }

  /**
   * Holds a commit. `entriesFor` makes the lane entries of one event (one per sink); the caller
   * hands them to the lanes.
   */
  add(
    rows: readonly EventToSpool[],
    events: readonly Event[],
    checkpoints: readonly CheckpointRow[],
    now: number,
    entriesFor: (held: HeldEvent) => LaneEntry[],
  ): HeldCommit {
    const held: HeldEvent[] = [];
    const commit: HeldCommit = { checkpoints, events: held, open: 0, since: now };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.sinks.length === 0) continue;
      const ev: HeldEvent = { commit, row, event: events[i]!, open: row.sinks.length, entries: [] };
      ev.entries = entriesFor(ev);
      held.push(ev);
    }
    commit.open = held.length;
    this.heldEvents += held.length;
    this.queue.push(commit);
    return commit;
  }

  /** Takes back the commit just added (its lanes had no room for it). */
  dropNewest(): void {
    const c = this.queue.pop();
    if (c) this.heldEvents -= c.events.length;
  }

  /** `entry` (held) was delivered. Answers whether its commit became complete. */
  delivered(entry: LaneEntry): boolean {
    const ev = entry.held;
    if (!ev) return false;
    entry.held = undefined;
    if (--ev.open > 0) return false;
    this.heldEvents -= 1;
    return --ev.commit.open === 0;
  }

  /** Removes the complete commits at the head of the queue; answers their checkpoints, in order. */
  takeComplete(): CheckpointRow[] {
    const out: CheckpointRow[] = [];
    let n = 0;
    while (n < this.queue.length && this.queue[n]!.open === 0) out.push(...this.queue[n++]!.checkpoints);
    if (n > 0) this.queue = this.queue.slice(n);
    return out;
  }

  /**
   * The first `count` commits, as a spill: what of them is not delivered yet, and all their
   * checkpoints. They stay held until `spilled` (the write may fail).
   */
  spillOf(count: number): Spill {
    const spill: Spill = { rows: [], entries: [], checkpoints: [], events: 0 };
    for (let c = 0; c < Math.min(count, this.queue.length); c++) {
      const commit = this.queue[c]!;
      for (const ev of commit.events) {
        if (ev.open === 0) continue;
        const sinks: string[] = [];
        const entries: LaneEntry[] = [];
        for (let s = 0; s < ev.entries.length; s++) {
          const e = ev.entries[s]!;
          if (e.held === undefined) continue; // delivered
          sinks.push(ev.row.sinks[s]!);
          entries.push(e);
        }
        spill.rows.push({ ...ev.row, sinks });
        spill.entries.push(entries);
        spill.events += 1;
      }
      spill.checkpoints.push(...commit.checkpoints);
    }
    return spill;
  }

  /** The first `count` commits were written to the spool: they are no longer held. */
  spilled(count: number, spill: Spill): void {
    for (const entries of spill.entries) for (const e of entries) e.held = undefined;
    this.heldEvents -= spill.events;
    this.queue = this.queue.slice(count);
  }

  /** How many commits from the head up to and including the one holding `entry`; 0 when none does. */
  through(entry: LaneEntry): number {
    const commit = entry.held?.commit;
    if (!commit) return 0;
    return this.queue.indexOf(commit) + 1;
  }

  /** How many commits from the head are older than `before`. */
  olderThan(before: number): number {
    let n = 0;
    while (n < this.queue.length && this.queue[n]!.since < before) n++;
    return n;
  }

  /** Drops checkpoints of `keys` from every held commit (the source forgot those files). */
  forget(source: string, keys: ReadonlySet<string>): void {
    for (const c of this.queue) {
      if (c.checkpoints.some((cp) => cp.source === source && keys.has(cp.key))) {
        (c as { checkpoints: readonly CheckpointRow[] }).checkpoints = c.checkpoints.filter(
          (cp) => !(cp.source === source && keys.has(cp.key)),
        );
      }
    }
  }
}
