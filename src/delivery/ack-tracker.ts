import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { CheckpointRow, CreatedEntry, EventToSpool, SpoolTotals, StateStore } from '../store/state-store.ts';

/** An entry's place in the spool. */
export interface SpoolRow {
  readonly seq: number;
  readonly eventRow: number;
}

/**
 * One held entry's claim on its commit (one per event and sink). Lanes carry it with the entry
 * and hand it back to the tracker: `ack` when the entry was delivered, `nack` when it was not.
 */
export class Ticket {
  readonly sink: string;
  /** The held event this entry belongs to. */
  readonly held: HeldEvent;
  /** Set once the entry's commit is in the spool: its row there (the lane settles it then). */
  row: SpoolRow | undefined = undefined;
  /** Keeps its commit open: neither delivered nor spooled yet. */
  open = true;

  constructor(held: HeldEvent, sink: string) {
    this.held = held;
    this.sink = sink;
  }
}

interface HeldCommit {
  checkpoints: readonly CheckpointRow[];
  readonly events: readonly HeldEvent[];
  /** Events of this commit with an entry still open. */
  open: number;
  readonly since: number;
}

interface HeldEvent {
  readonly commit: HeldCommit;
  readonly row: EventToSpool;
  /** One per sink of `row.sinks`, in that order. */
  readonly tickets: Ticket[];
  /** Tickets still open. */
  open: number;
}

/** What securing writes: rows for the entries still open, and every checkpoint, in order. */
interface Securing {
  rows: EventToSpool[];
  /** For each row, the tickets it creates rows for, in the order of `rows[i].sinks`. */
  tickets: Ticket[][];
  checkpoints: CheckpointRow[];
  bytes: number;
}

export interface AckTrackerDeps {
  store: StateStore;
  logger: Logger;
  metrics: Metrics;
  /** How long a commit may stay held, in ms; 0: none is. */
  holdMs: number;
  /** Held entries now spooled (each ticket has its row), and what they add to the spool. */
  onSecured: (tickets: readonly Ticket[], added: SpoolTotals) => void;
  /** The number of held events changed (for the gauge). */
  onChange: () => void;
}

/**
 * Acknowledgement-driven checkpoints for sources that can read their input again (files), as
 * Vector's finalizers: the one owner of held commits.
 *
 * A replayable commit whose sinks have room in memory is not written to the spool: its events
 * go to the lanes with a ticket each, and its checkpoints wait here. The commits held form a
 * FIFO; the oldest ones have their checkpoints written once every ticket of theirs is acked, so
 * the store always holds a prefix of the commits the source made, and whatever comes after that
 * prefix is still in the file, behind the committed position: a crash re-reads it. A held commit
 * is *secured* (spooled the ordinary way, in order with every older one, in one transaction) as
 * soon as one of its entries is nacked, it is `holdMs` old, its file is rotated or goes away, or
 * the agent stops. Nothing is lost and nothing is doubled at the hand-off; only the delivered
 * events after the committed position are sent again after a crash, with their ids, as with a
 * spooled event delivered but not yet removed.
 */
export class AckTracker {
  private readonly deps: AckTrackerDeps;
  private queue: HeldCommit[] = [];
  private heldEvents = 0;
  private completeScheduled = false;
  private ageTimer: NodeJS.Timeout | undefined;

  constructor(deps: AckTrackerDeps) {
    this.deps = deps;
  }

  /** Commits held. */
  get size(): number {
    return this.queue.length;
  }

  /** Events held in memory, not spooled, whose checkpoints wait for their delivery. */
  get events(): number {
    return this.heldEvents;
  }

  /** Whether commits may be held at all. */
  get enabled(): boolean {
    return this.deps.holdMs > 0;
  }

  /**
   * Holds a commit if `place` takes its tickets (one list per row, one ticket per sink of the
   * row, in order); when it answers false nothing is held.
   */
  hold(
    rows: readonly EventToSpool[],
    checkpoints: readonly CheckpointRow[],
    now: number,
    place: (tickets: readonly (readonly Ticket[])[]) => boolean,
  ): boolean {
    const events: HeldEvent[] = [];
    const commit: HeldCommit = { checkpoints, events, open: 0, since: now };
    const tickets = rows.map((row) => {
      if (row.sinks.length === 0) return [];
      const ev: HeldEvent = { commit, row, tickets: [], open: row.sinks.length };
      for (const sink of row.sinks) ev.tickets.push(new Ticket(ev, sink));
      events.push(ev);
      return ev.tickets;
    });
    if (!place(tickets)) return false;
    commit.open = events.length;
    this.heldEvents += events.length;
    this.queue.push(commit);
    if (commit.open === 0) this.scheduleComplete();
    this.armAgeTimer();
    this.deps.onChange();
    return true;
  }

  /**
   * The ticket's entry was delivered. Answers its row when its commit was secured meanwhile: the
   * row is then the lane's to settle. Otherwise the ack counts towards the commit, whose
   * checkpoints are written soon after it is complete.
   */
  ack(ticket: Ticket): SpoolRow | undefined {
    if (ticket.row) return ticket.row;
    if (!ticket.open) return undefined;
    ticket.open = false;
    const ev = ticket.held;
    if (--ev.open > 0) return undefined;
    this.heldEvents -= 1;
    // The gauge is published when the complete commits are written, not per entry.
    if (--ev.commit.open === 0) this.scheduleComplete();
    return undefined;
  }

  /**
   * The tickets' entries did not get through: retry state and dead letters live in rows, so
   * their commits, and every older one, are secured. Answers each ticket's row, in order, or
   * undefined when the store refused (the entries stay held, their lines behind the committed
   * position).
   */
  nack(tickets: readonly Ticket[]): SpoolRow[] | undefined {
    let count = 0;
    for (const t of tickets) if (!t.row) count = Math.max(count, this.queue.indexOf(t.held.commit) + 1);
    if (!this.secure(count)) return undefined;
    const rows: SpoolRow[] = [];
    for (const t of tickets) {
      if (!t.row) return undefined; // not held here (cannot happen): nothing to settle it by
      rows.push(t.row);
    }
    return rows;
  }

  /**
   * Spools the first `count` held commits (all by default): their entries still open get rows,
   * their checkpoints are written. False when the store refused (they stay held).
   */
  secure(count = this.queue.length): boolean {
    if (count <= 0) return true;
    if (!this.deps.store.isOpen) return false; // stopped: the lines are read again at the next start
    const batch = this.securingOf(count);
    let created: CreatedEntry[];
    try {
      created = this.deps.store.commitEvents(batch.rows, batch.checkpoints, Date.now());
    } catch (err) {
      this.deps.metrics.inc('log2events_spool_commit_errors_total', 'Spool commits that failed in the state store');
      this.deps.logger.error('cannot spool held events; they stay in memory', { file: this.deps.store.file, error: err as Error });
      return false;
    }
    this.secured(count, batch, created);
    if (this.queue[0]?.open === 0) this.scheduleComplete();
    return true;
  }

  /**
   * Commits `rows` and `checkpoints` with every held commit ahead of them, in one transaction:
   * the held commits are older, and may be of the same file, so the store never holds a
   * checkpoint past events that are only in memory. Throws what the store throws (nothing is
   * then written and everything stays held). Answers the entries created for `rows`.
   */
  secureWith(rows: readonly EventToSpool[], checkpoints: readonly CheckpointRow[], now: number): CreatedEntry[] {
    const count = this.queue.length;
    const batch = this.securingOf(count);
    const created = this.deps.store.commitEvents([...batch.rows, ...rows], [...batch.checkpoints, ...checkpoints], now);
    return this.secured(count, batch, created);
  }

  /** Drops checkpoints of `keys` from every held commit (the source forgot those files). */
  forget(source: string, keys: ReadonlySet<string>): void {
    const forgotten = (cp: CheckpointRow) => cp.source === source && keys.has(cp.key);
    for (const c of this.queue) if (c.checkpoints.some(forgotten)) c.checkpoints = c.checkpoints.filter((cp) => !forgotten(cp));
  }

  /**
   * At stop, after the lanes drained: the checkpoints of complete commits are written, and what
   * is still held is secured (delivered at the next start).
   */
  close(): void {
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    this.writeComplete();
    this.secure();
  }

  /** The first `count` commits as a batch: what of them is still open, and all their checkpoints. */
  private securingOf(count: number): Securing {
    const batch: Securing = { rows: [], tickets: [], checkpoints: [], bytes: 0 };
    for (const commit of this.queue.slice(0, count)) {
      for (const ev of commit.events) {
        if (ev.open === 0) continue;
        const open = ev.tickets.filter((t) => t.open);
        batch.rows.push({ ...ev.row, sinks: open.map((t) => t.sink) });
        batch.tickets.push(open);
        batch.bytes += ev.row.bytes;
      }
      batch.checkpoints.push(...commit.checkpoints);
    }
    return batch;
  }

  /**
   * The first `count` commits were written: their open tickets get their rows and leave the
   * held count. Answers the created entries that were not the held ones' (those of `secureWith`'s
   * own rows), indexed from 0.
   */
  private secured(count: number, batch: Securing, created: readonly CreatedEntry[]): CreatedEntry[] {
    const tickets: Ticket[] = [];
    const rest: CreatedEntry[] = [];
    for (const c of created) {
      const row = batch.rows[c.index];
      const ticket = batch.tickets[c.index]?.[row ? row.sinks.indexOf(c.sink) : -1];
      if (!ticket) {
        rest.push({ ...c, index: c.index - batch.rows.length });
        continue;
      }
      ticket.row = { seq: c.seq, eventRow: c.eventRow };
      ticket.open = false;
      tickets.push(ticket);
    }
    this.heldEvents -= batch.rows.length;
    this.queue = this.queue.slice(count);
    this.deps.metrics.inc(
      'log2events_spool_spilled_total',
      'Held events written to the spool (a retry, a rotation, age, or shutdown)',
      {},
      batch.rows.length,
    );
    this.deps.onSecured(tickets, { events: batch.rows.length, bytes: batch.bytes });
    this.deps.onChange();
    return rest;
  }

  private scheduleComplete(): void {
    if (this.completeScheduled) return;
    this.completeScheduled = true;
    setImmediate(() => {
      this.completeScheduled = false;
      this.writeComplete();
    });
  }

  /** Writes the checkpoints of the complete commits at the head of the queue (several, one write). */
  private writeComplete(): void {
    if (this.queue[0]?.open !== 0 || !this.deps.store.isOpen) return;
    let n = 0;
    const checkpoints: CheckpointRow[] = [];
    for (const c of this.queue) {
      if (c.open !== 0) break;
      checkpoints.push(...c.checkpoints);
      n += 1;
    }
    this.queue = this.queue.slice(n);
    try {
      this.deps.store.commitEvents([], checkpoints, Date.now());
    } catch (err) {
      // Only positions were lost: their lines are read again after a restart, nothing more.
      this.deps.logger.error('cannot write file positions to the state store', { file: this.deps.store.file, error: err as Error });
    }
    this.deps.onChange();
  }

  private armAgeTimer(): void {
    if (this.ageTimer || this.queue.length === 0) return;
    this.ageTimer = setTimeout(() => {
      this.ageTimer = undefined;
      const before = Date.now() - this.deps.holdMs;
      let n = 0;
      while (n < this.queue.length && (this.queue[n]?.since ?? Infinity) < before) n++;
      this.secure(n);
      this.armAgeTimer();
    }, this.deps.holdMs / 2);
    this.ageTimer.unref();
  }
}
