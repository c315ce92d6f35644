import type { Event } from '../model/event.ts';
import type { SpoolRow, Ticket } from './ack-tracker.ts';

interface EntryState {
  readonly event: Event;
  size: number;
  attempts: number;
  firstAttempt: number | null;
  /** When it became sendable (linger counts from here). */
  readyAt: number;
}

/** An entry read from or written to the spool: its outcome is settled in its row. */
export interface SpooledEntry extends EntryState {
  readonly kind: 'spooled';
  readonly seq: number;
  readonly eventRow: number;
}

/**
 * An entry of a held commit (delivery/ack-tracker.ts): its event is only in memory, and its
 * outcome goes to the tracker by its ticket.
 */
export interface HeldEntry extends EntryState {
  readonly kind: 'held';
  readonly ticket: Ticket;
}

/** One (event, sink) pair as the lane holds it in memory. */
export type LaneEntry = SpooledEntry | HeldEntry;

/** A held entry whose commit was spooled, as the spooled entry it now is. */
export function spooled(entry: HeldEntry, row: SpoolRow): SpooledEntry {
  const { event, size, attempts, firstAttempt, readyAt } = entry;
  return { kind: 'spooled', seq: row.seq, eventRow: row.eventRow, event, size, attempts, firstAttempt, readyAt };
}
