import { mkdirSync, accessSync, existsSync, readFileSync, statSync, statfsSync, writeFileSync, constants as fsConstants } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { inspectFiles, quickCheck, storeFiles, summarize, writeManifest, type Manifest, type StoreFiles } from './integrity.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { int, intOrNull, text } from './rows.ts';

export const STATE_FILE_NAME = 'log2events.db';

/**
 * What went wrong with a store: `damaged` (its files are missing, empty or corrupt: only a
 * person can decide, with `log2events state check|reset`), `full` (its file system has no room:
 * the write can be retried once there is), `unusable` (anything else).
 */
export type StoreErrorKind = 'damaged' | 'full' | 'unusable';

/** A store that cannot be opened or used; the message names the file and the reason. */
export class StateStoreError extends Error {
  readonly file: string;
  readonly kind: StoreErrorKind;
  constructor(file: string, reason: string, kind: StoreErrorKind = 'unusable') {
    super(`state store ${file}: ${reason}`);
    this.name = 'StateStoreError';
    this.file = file;
    this.kind = kind;
  }
  /** Only a full disk clears by itself. */
  get retryable(): boolean {
    return this.kind === 'full';
  }
}

/** Longest dead-letter (and retry) code and message stored; longer ones are cut. */
export const MAX_CODE_CHARS = 128;
export const MAX_MESSAGE_CHARS = 4096;

/** `s` cut to `max` characters (an ellipsis marks the cut). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * `FULL` syncs the WAL on every commit: a committed event survives power loss. `NORMAL` syncs
 * only at checkpoints: a committed event survives a process crash (kill -9) but the last
 * commits may be lost on power loss or kernel panic. FULL is the default.
 */
export type Synchronous = 'FULL' | 'NORMAL';

export interface StateStoreOptions {
  synchronous?: Synchronous;
  /**
   * Take the agent lock (default): only one process delivers from a state_dir at a time. Tools
   * that only inspect or edit dead letters (`log2events dlq`) pass false and may run alongside.
   */
  lock?: boolean;
  /** How long to wait for another process to release the agent lock (a rolling update). */
  lockWaitMs?: number;
  /** Called once when another agent holds the lock, before waiting for it (its pid when known). */
  onLockWait?: (holderPid: number | undefined) => void;
  /**
   * The WAL is checkpointed (copied into the database and cut back) once it holds about this
   * many bytes; the agent also checkpoints it at this size when readers held it back (see
   * `boundWal`). Default 64 MiB.
   */
  walMaxBytes?: number;
}

export const DEFAULT_WAL_MAX_BYTES = 64 << 20;

export const LOCK_FILE_NAME = 'log2events.lock';
const DEFAULT_LOCK_WAIT_MS = 30_000;

/**
 * Holds an exclusive SQLite lock on a small side file for as long as the connection is open;
 * the OS drops it when the process dies, even by kill -9, so it can never go stale.
 */
function acquireAgentLock(stateDir: string, waitMs: number, onWait?: (holderPid: number | undefined) => void): DatabaseSync {
  if (onWait && waitMs > 0) {
    // Try at once first, so that a wait is announced (with the holder's pid) rather than silent.
    try {
      return acquireAgentLock(stateDir, 0);
    } catch (err) {
      if (!(err instanceof StateStoreError) || !err.message.includes('is in use')) throw err;
      onWait(lockHolderPid(stateDir));
    }
  }
  const file = join(stateDir, LOCK_FILE_NAME);
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { timeout: waitMs });
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    db.exec('COMMIT');
    // The lock database stays locked while held: the pid goes where a waiting agent can read it.
    writeFileSync(join(stateDir, LOCK_PID_FILE_NAME), `${process.pid}\n`);
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* nothing to release */
    }
    const msg = (err as Error).message;
    if (/locked|busy/i.test(msg)) {
      throw new StateStoreError(
        join(stateDir, STATE_FILE_NAME),
        `state_dir ${stateDir} is in use by another log2events process (waited ${waitMs} ms for ${file})`,
      );
    }
    throw new StateStoreError(join(stateDir, STATE_FILE_NAME), `cannot take the lock ${file}: ${msg}`);
  }
}

const LOCK_PID_FILE_NAME = 'log2events.lock.pid';

function lockHolderPid(stateDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(stateDir, LOCK_PID_FILE_NAME), 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** One event as the intake hands it to the store: serialised once, routed to known sinks. */
export interface EventToSpool {
  eventId: string;
  body: string;
  bytes: number;
  sinks: readonly string[];
  /** Sinks the event names that do not exist: it goes to dead letters for each, at once. */
  deadSinks: readonly { sink: string; code: string; message: string }[];
}

export interface CheckpointRow {
  source: string;
  key: string;
  value: string;
}

/** A spool entry created by a commit: one per event and sink. */
export interface CreatedEntry {
  seq: number;
  eventRow: number;
  sink: string;
  /** Index of the event in the committed array. */
  index: number;
}

export interface StoredEntry {
  seq: number;
  eventRow: number;
  body: string;
  attempts: number;
  firstAttempt: number | null;
}

export interface RetryUpdate {
  seq: number;
  attempts: number;
  firstAttempt: number;
  lastAttempt: number;
  code: string;
  message: string;
}

/** Why an entry of a sink is dead, and what was tried. */
export interface DeadLetterReason {
  sink: string;
  code: string;
  message: string;
  attempts: number;
  firstAttempt: number | null;
  lastAttempt: number | null;
}

export interface DeadLetterMove extends DeadLetterReason {
  seq: number;
  eventRow: number;
}

export interface Settlement {
  delivered: readonly { seq: number; eventRow: number }[];
  retried: readonly RetryUpdate[];
  dead: readonly DeadLetterMove[];
}

export interface SpoolTotals {
  events: number;
  bytes: number;
}

export interface DeadLetter extends DeadLetterReason {
  id: number;
  eventId: string;
  createdAt: number;
  /** The event as spooled (JSON). */
  body: string;
}

export interface DeadLetterFilter {
  sink?: string;
  code?: string;
  id?: number;
}

interface Statements {
  insertEvent: StatementSync;
  insertEntry: StatementSync;
  upsertCheckpoint: StatementSync;
  deleteCheckpoint: StatementSync;
  selectCheckpoints: StatementSync;
  insertDeadLetterBody: StatementSync;
  deleteEntry: StatementSync;
  deleteEntries: StatementSync;
  deleteEventsIfDone: StatementSync;
  deleteEntryRange: StatementSync;
  deleteEventRangeIfDone: StatementSync;
  deleteEventIfDone: StatementSync;
  deleteEvent: StatementSync;
  updateRetry: StatementSync;
  deadLetterFromEntry: StatementSync;
  readEntries: StatementSync;
  oldestEvents: StatementSync;
  deleteEntriesOfEvent: StatementSync;
  totals: StatementSync;
  maxSeq: StatementSync;
}

/**
 * The one database under `state_dir`: spool, source checkpoints and dead letters, in WAL mode.
 * All writes are synchronous and each public write method is one transaction, so what a
 * method returned is on disk (as far as the `synchronous` setting promises).
 */
export class StateStore {
  readonly file: string;
  private db: DatabaseSync;
  private st: Statements;
  private closed = false;
  private readonly lock: DatabaseSync | undefined;
  private durable: Synchronous;
  private applied: Synchronous;
  private readonly files: StoreFiles;
  private readonly manifest: Manifest;
  private readonly walMaxBytes: number;
  /** Set by a write that failed for lack of space, cleared by the next one that succeeds. */
  private fullError: StateStoreError | undefined;

  private constructor(
    files: StoreFiles,
    db: DatabaseSync,
    synchronous: Synchronous,
    lock: DatabaseSync | undefined,
    manifest: Manifest,
    walMaxBytes: number,
  ) {
    this.file = files.db;
    this.files = files;
    this.manifest = manifest;
    this.walMaxBytes = walMaxBytes;
    this.db = db;
    this.lock = lock;
    this.durable = synchronous;
    this.applied = synchronous;
    this.st = prepareStatements(db);
  }

  /**
   * Opens (creating if needed) the store in `stateDir`. Throws StateStoreError naming the file
   * when the directory or file is unusable, the file is not a database, or it was written by a
   * newer schema. Never resets a store it cannot read.
   */
  static open(stateDir: string, options: StateStoreOptions = {}): StateStore {
    // The store holds event payloads: its directory and files are private to the agent's user
    // (SQLite gives the WAL and shared-memory files the database file's mode).
    const umask = process.umask(0o077);
    try {
      return StateStore.openFiles(stateDir, options);
    } finally {
      process.umask(umask);
    }
  }

  private static openFiles(stateDir: string, options: StateStoreOptions): StateStore {
    const files = storeFiles(stateDir, STATE_FILE_NAME);
    const file = files.db;
    try {
      mkdirSync(stateDir, { recursive: true });
    } catch (err) {
      throw new StateStoreError(file, `cannot create state_dir ${stateDir}: ${(err as Error).message}`);
    }
    try {
      accessSync(stateDir, fsConstants.W_OK);
    } catch {
      throw new StateStoreError(file, `state_dir ${stateDir} is not writable`);
    }
    const lock =
      options.lock === false ? undefined : acquireAgentLock(stateDir, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, options.onLockWait);
    const inspection = inspectFiles(files);
    if (inspection.problems.length > 0) {
      lock?.close();
      throw new StateStoreError(file, `damaged: ${summarize(inspection.problems)}`, 'damaged');
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, { timeout: 5000 });
    } catch (err) {
      lock?.close();
      throw new StateStoreError(file, `cannot open: ${(err as Error).message}`);
    }
    const walMaxBytes = options.walMaxBytes ?? DEFAULT_WAL_MAX_BYTES;
    try {
      // Only takes effect on a new file (before its first table): lets a drained spool give its
      // pages back to the file system (see `reclaim`) instead of keeping its high-water mark.
      db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      const synchronous = options.synchronous ?? 'FULL';
      configure(db, synchronous, walMaxBytes);
      if (!inspection.fresh) {
        // Damage SQLite would only meet later (or never: a page of dead letters nobody reads).
        const problems = quickCheck(db, files);
        if (problems.length > 0) throw new StateStoreError(file, `damaged: ${summarize(problems)}`, 'damaged');
      }
      migrate(db);
      // A write probe: a read-only file or directory must fail here, not at the first commit.
      markOpened(db);
      // From here on a store is expected in this directory, its WAL live until close().
      const manifest: Manifest = { created_at: inspection.manifest?.created_at ?? new Date().toISOString(), wal: 'live' };
      if (inspection.manifest?.wal !== 'live') writeManifest(files.manifest, manifest);
      return new StateStore(files, db, synchronous, lock, manifest, walMaxBytes);
    } catch (err) {
      try {
        db.close();
      } catch {
        /* already unusable */
      }
      lock?.close();
      if (err instanceof StateStoreError) throw err;
      throw storeError(file, err);
    }
  }

  /**
   * Takes the agent lock without opening the store (to move its files): fails at once when an
   * agent holds it.
   */
  static lockOnly(stateDir: string): { release(): void } {
    const lock = acquireAgentLock(stateDir, 0);
    return { release: () => lock.close() };
  }

  /** The durability of commits that take data in (spool commits, checkpoints, replays). */
  synchronous(): Synchronous {
    return this.durable;
  }

  /** Changes the durability of later intake commits (see `Synchronous`). */
  setSynchronous(mode: Synchronous): void {
    this.durable = mode;
  }

  /**
   * Sets SQLite's `synchronous` for the next transaction. Intake commits use the configured
   * level; delivery outcomes always use NORMAL, which skips their fsync: the WAL is append-only,
   * so the next FULL commit (or checkpoint) makes them durable too, and a power loss can only
   * undo the latest outcomes — those events are then sent again, never lost.
   */
  private syncFor(kind: 'intake' | 'outcome'): void {
    const level: Synchronous = kind === 'intake' ? this.durable : 'NORMAL';
    if (level === this.applied) return;
    this.db.exec(`PRAGMA synchronous = ${level}`);
    this.applied = level;
  }

  /**
   * Closes the store. SQLite checkpoints the WAL into the database and deletes it when the last
   * connection closes: the manifest then says so. The agent (lock holder) says it first: should
   * it die in between, the WAL is still there and is recovered; a tool that opened the store
   * alongside says it only once the WAL is gone (the agent may still be running).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const closed: Manifest = { ...this.manifest, wal: 'closed' };
    if (this.lock) tryWriteManifest(this.files.manifest, closed);
    this.db.close();
    if (!this.lock && !existsSync(this.files.wal)) tryWriteManifest(this.files.manifest, closed);
    this.lock?.close();
  }

  /** Bytes free to this process on the state_dir's file system (Infinity when it cannot tell). */
  freeBytes(): number {
    try {
      const fs = statfsSync(dirname(this.file));
      return fs.bavail * fs.bsize;
    } catch {
      return Infinity;
    }
  }

  /**
   * Repairs a WAL removed while the store is open (the agent's connection still writes to the
   * removed file, so its commits would be lost in a crash): checkpoints everything into the
   * database, then reopens the connection, which starts a new WAL. Answers `ok` (the WAL is
   * there), `repaired`, or `busy` (a reader held the checkpoint back; try again later). Only the
   * lock holder repairs.
   */
  repairWal(): 'ok' | 'repaired' | 'busy' {
    if (!this.lock || this.closed || existsSync(this.files.wal)) return 'ok';
    const r = this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number; log: number; checkpointed: number };
    if (r.busy !== 0 || r.checkpointed < r.log) return 'busy';
    this.db.close();
    this.db = new DatabaseSync(this.file, { timeout: 5000 });
    configure(this.db, this.applied, this.walMaxBytes);
    this.st = prepareStatements(this.db);
    markOpened(this.db); // the new WAL exists from here on
    return 'repaired';
  }

  /** The error of the last write when it failed for lack of space and none succeeded since. */
  get full(): StateStoreError | undefined {
    return this.fullError;
  }

  /**
   * Keeps the WAL bounded: SQLite's automatic checkpoint is passive and stops at pages a reader
   * still needs (a \`dlq\` run alongside), and it gives up while the disk is full; so the agent
   * checkpoints itself, cutting the file back, once it has grown past the limit. Cheap (one
   * stat) when it has not. Answers whether a checkpoint ran.
   */
  boundWal(): boolean {
    let size: number;
    try {
      size = statSync(this.files.wal).size;
    } catch {
      return false;
    }
    if (size <= this.walMaxBytes) return false;
    this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
    return true;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  schemaVersion(): number {
    return (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  }

  /** Runs `fn` in one IMMEDIATE transaction; rolls back if it throws. */
  private tx<T>(fn: () => T, kind: 'intake' | 'outcome' = 'intake'): T {
    try {
      this.syncFor(kind);
      this.db.exec('BEGIN IMMEDIATE');
      const result = fn();
      this.db.exec('COMMIT');
      this.fullError = undefined;
      return result;
    } catch (err) {
      // SQLite rolls a transaction back by itself after some errors (a full disk among them):
      // a ROLLBACK then fails, and its error must not hide the real one.
      if (this.db.isTransaction) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          /* the original error says more */
        }
      }
      const e = storeError(this.file, err);
      if (e.kind === 'full') this.fullError = e;
      throw e;
    }
  }

  // ---- spool -------------------------------------------------------------------------------

  /**
   * Spools events (one entry per sink) and moves the checkpoints, in one transaction. A commit
   * of checkpoints alone skips the fsync, like delivery outcomes: if a power loss undoes it, the
   * lines behind it are read again, and they produced no event.
   */
  commitEvents(events: readonly EventToSpool[], checkpoints: readonly CheckpointRow[], now: number): CreatedEntry[] {
    const created: CreatedEntry[] = [];
    const { insertEvent, insertEntry, insertDeadLetterBody, upsertCheckpoint } = this.st;
    this.tx(
      () => {
        for (const [i, ev] of events.entries()) {
          for (const d of ev.deadSinks)
            insertDeadLetterBody.run(ev.eventId, d.sink, ev.body, clip(d.code, MAX_CODE_CHARS), clip(d.message, MAX_MESSAGE_CHARS), now);
          if (ev.sinks.length === 0) continue;
          const eventRow = Number(insertEvent.run(ev.eventId, ev.body, ev.bytes, now).lastInsertRowid);
          for (const sink of ev.sinks) {
            const seq = Number(insertEntry.run(eventRow, sink).lastInsertRowid);
            created.push({ seq, eventRow, sink, index: i });
          }
        }
        for (const c of checkpoints) upsertCheckpoint.run(c.source, c.key, c.value);
      },
      events.length === 0 ? 'outcome' : 'intake',
    );
    return created;
  }

  /** Entries of one sink after `afterSeq`, oldest first. */
  readEntries(sink: string, afterSeq: number, limit: number): StoredEntry[] {
    return this.st.readEntries.all(sink, afterSeq, limit).map(
      (r): StoredEntry => ({
        seq: int(r, 'seq'),
        eventRow: int(r, 'eventRow'),
        body: text(r, 'body'),
        attempts: int(r, 'attempts'),
        firstAttempt: intOrNull(r, 'firstAttempt'),
      }),
    );
  }

  /**
   * Records what a send did: removes delivered entries, stores retry state, moves dead ones to
   * dead letters. Returns what left the spool (events whose last entry went).
   */
  settle(s: Settlement, now: number): SpoolTotals {
    const freed: SpoolTotals = { events: 0, bytes: 0 };
    if (s.delivered.length === 0 && s.retried.length === 0 && s.dead.length === 0) return freed;
    const { updateRetry, deadLetterFromEntry } = this.st;
    this.tx(() => {
      if (s.delivered.length > 0) this.removeDelivered(s.delivered, freed);
      for (const r of s.retried)
        updateRetry.run(r.attempts, r.firstAttempt, r.lastAttempt, clip(r.code, MAX_CODE_CHARS), clip(r.message, MAX_MESSAGE_CHARS), r.seq);
      for (const d of s.dead) {
        // Only if the entry is still spooled (drop_oldest may have taken it meanwhile).
        if (!this.entryExists(d.seq)) continue;
        deadLetterFromEntry.run(
          d.sink,
          clip(d.code, MAX_CODE_CHARS),
          clip(d.message, MAX_MESSAGE_CHARS),
          d.attempts,
          d.firstAttempt,
          d.lastAttempt,
          now,
          d.eventRow,
        );
        this.removeEntry(d.seq, d.eventRow, freed);
      }
    }, 'outcome');
    return freed;
  }

  private entryExists(seq: number): boolean {
    return this.db.prepare('SELECT 1 AS x FROM entries WHERE seq = ?').get(seq) !== undefined;
  }

  /**
   * Two statements for the whole set instead of two per entry: delivered entries go, then
   * those of their events that have no entry left (an event routed to two sinks waits for both).
   */
  private removeDelivered(delivered: readonly { seq: number; eventRow: number }[], freed: SpoolTotals): void {
    const seqs = new Array<number>(delivered.length);
    const rows = new Array<number>(delivered.length);
    for (const [i, d] of delivered.entries()) {
      seqs[i] = d.seq;
      rows[i] = d.eventRow;
    }
    const seqRuns = runsOf(seqs);
    let removed = 0;
    if (seqRuns.length * 4 <= seqs.length) for (const [lo, hi] of seqRuns) removed += Number(this.st.deleteEntryRange.run(lo, hi).changes);
    else removed = Number(this.st.deleteEntries.run(JSON.stringify(seqs)).changes);
    if (removed === 0) return;
    const rowRuns = runsOf(rows);
    const gone =
      rowRuns.length * 4 <= rows.length
        ? rowRuns.flatMap(([lo, hi]) => this.st.deleteEventRangeIfDone.all(lo, hi) as { bytes: number }[])
        : (this.st.deleteEventsIfDone.all(JSON.stringify(rows)) as { bytes: number }[]);
    for (const row of gone) {
      freed.events += 1;
      freed.bytes += row.bytes;
    }
  }

  private removeEntry(seq: number, eventRow: number, freed: SpoolTotals): void {
    if (Number(this.st.deleteEntry.run(seq).changes) === 0) return;
    const row = this.st.deleteEventIfDone.get(eventRow, eventRow) as { bytes: number } | undefined;
    if (row) {
      freed.events += 1;
      freed.bytes += row.bytes;
    }
  }

  /**
   * Deletes the oldest events (all their entries) until `events` more events and `bytes` more
   * bytes fit under the limits. Returns what was dropped.
   */
  dropOldest(current: SpoolTotals, adding: SpoolTotals, limits: SpoolTotals): SpoolTotals & { eventRows: number[] } {
    const dropped = { events: 0, bytes: 0, eventRows: [] as number[] };
    this.tx(() => {
      let events = current.events;
      let bytes = current.bytes;
      while (events > 0 && (events + adding.events > limits.events || bytes + adding.bytes > limits.bytes)) {
        const rows = this.st.oldestEvents.all(256) as { id: number; bytes: number }[];
        if (rows.length === 0) break;
        for (const row of rows) {
          if (!(events + adding.events > limits.events || bytes + adding.bytes > limits.bytes)) break;
          this.st.deleteEntriesOfEvent.run(row.id);
          this.st.deleteEvent.run(row.id);
          events -= 1;
          bytes -= row.bytes;
          dropped.events += 1;
          dropped.bytes += row.bytes;
          dropped.eventRows.push(row.id);
        }
      }
    });
    return dropped;
  }

  totals(): SpoolTotals {
    const r = this.st.totals.get();
    return r ? { events: int(r, 'events'), bytes: int(r, 'bytes') } : { events: 0, bytes: 0 };
  }

  /**
   * Returns up to `maxPages` free pages to the file system when more than `threshold` are free
   * (a spool that filled up and drained). Small steps, so that it never blocks for long.
   */
  reclaim(threshold = 2048, maxPages = 512): number {
    const free = (this.db.prepare('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count;
    if (free <= threshold) return 0;
    this.db.exec(`PRAGMA incremental_vacuum(${Math.floor(maxPages)})`);
    return Math.min(free, maxPages);
  }

  maxSeq(): number {
    return (this.st.maxSeq.get() as { seq: number }).seq;
  }

  /** Sinks that have entries in the spool. */
  /** Entries spooled for `sink` and the creation time of the oldest one's event (for status). */
  sinkDepth(sink: string): { entries: number; oldest: number | null } {
    const count = this.db.prepare('SELECT count(*) AS n FROM entries WHERE sink = ?').get(sink) as { n: number };
    const first = this.db
      .prepare('SELECT e.created_at AS at FROM entries n JOIN events e ON e.id = n.event_row WHERE n.sink = ? ORDER BY n.seq LIMIT 1')
      .get(sink) as { at: number } | undefined;
    return { entries: count.n, oldest: first?.at ?? null };
  }

  spooledSinks(): string[] {
    return (this.db.prepare('SELECT DISTINCT sink FROM entries').all() as { sink: string }[]).map((r) => r.sink);
  }

  /** Moves every entry of `sink` to dead letters (the sink no longer exists). Returns the count. */
  deadLetterSink(sink: string, code: string, message: string, now: number): { entries: number; freed: SpoolTotals } {
    const freed: SpoolTotals = { events: 0, bytes: 0 };
    let entries = 0;
    this.tx(() => {
      const rows = this.db
        .prepare(
          'SELECT seq, event_row AS eventRow, attempts, first_attempt AS firstAttempt, last_attempt AS lastAttempt FROM entries WHERE sink = ?',
        )
        .all(sink) as { seq: number; eventRow: number; attempts: number; firstAttempt: number | null; lastAttempt: number | null }[];
      for (const r of rows) {
        this.st.deadLetterFromEntry.run(
          sink,
          clip(code, MAX_CODE_CHARS),
          clip(message, MAX_MESSAGE_CHARS),
          r.attempts,
          r.firstAttempt,
          r.lastAttempt,
          now,
          r.eventRow,
        );
        this.removeEntry(r.seq, r.eventRow, freed);
        entries += 1;
      }
    });
    return { entries, freed };
  }

  // ---- checkpoints -------------------------------------------------------------------------

  checkpoints(source: string): Map<string, string> {
    const rows = this.st.selectCheckpoints.all(source) as { key: string; value: string }[];
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  forgetCheckpoints(source: string, keys: readonly string[]): void {
    if (keys.length === 0) return;
    this.tx(() => {
      for (const key of keys) this.st.deleteCheckpoint.run(source, key);
    });
  }

  // ---- dead letters ------------------------------------------------------------------------

  private deadLetterWhere(f: DeadLetterFilter): { sql: string; params: (string | number)[] } {
    const clauses: string[] = [];
    const params: (string | number)[] = [];
    if (f.id !== undefined) {
      clauses.push('id = ?');
      params.push(f.id);
    }
    if (f.sink !== undefined) {
      clauses.push('sink = ?');
      params.push(f.sink);
    }
    if (f.code !== undefined) {
      clauses.push('code = ?');
      params.push(f.code);
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  listDeadLetters(filter: DeadLetterFilter = {}, limit = 1000): DeadLetter[] {
    const w = this.deadLetterWhere(filter);
    return this.db
      .prepare(
        `SELECT id, event_id AS eventId, sink, code, message, attempts, first_attempt AS firstAttempt,
                last_attempt AS lastAttempt, created_at AS createdAt, body
         FROM dead_letters ${w.sql} ORDER BY id LIMIT ?`,
      )
      .all(...w.params, limit)
      .map(
        (r): DeadLetter => ({
          id: int(r, 'id'),
          eventId: text(r, 'eventId'),
          sink: text(r, 'sink'),
          code: text(r, 'code'),
          message: text(r, 'message'),
          attempts: int(r, 'attempts'),
          firstAttempt: intOrNull(r, 'firstAttempt'),
          lastAttempt: intOrNull(r, 'lastAttempt'),
          createdAt: int(r, 'createdAt'),
          body: text(r, 'body'),
        }),
      );
  }

  countDeadLetters(filter: DeadLetterFilter = {}): number {
    const w = this.deadLetterWhere(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM dead_letters ${w.sql}`).get(...w.params) as { n: number }).n;
  }

  getDeadLetter(id: number): DeadLetter | undefined {
    return this.listDeadLetters({ id }, 1)[0];
  }

  /**
   * Puts matching dead letters back in the spool (a fresh entry for their sink, attempts reset)
   * and removes them from dead letters, in one transaction. Returns how many.
   */
  replayDeadLetters(filter: DeadLetterFilter, now: number): number {
    const w = this.deadLetterWhere(filter);
    return this.tx(() => {
      const rows = this.db
        .prepare(`SELECT id, event_id AS eventId, sink, body FROM dead_letters ${w.sql} ORDER BY id`)
        .all(...w.params) as { id: number; eventId: string; sink: string; body: string }[];
      const del = this.db.prepare('DELETE FROM dead_letters WHERE id = ?');
      for (const r of rows) {
        const eventRow = Number(this.st.insertEvent.run(r.eventId, r.body, Buffer.byteLength(r.body), now).lastInsertRowid);
        this.st.insertEntry.run(eventRow, r.sink);
        del.run(r.id);
      }
      return rows.length;
    });
  }

  purgeDeadLetters(filter: DeadLetterFilter): number {
    const w = this.deadLetterWhere(filter);
    return this.tx(() => Number(this.db.prepare(`DELETE FROM dead_letters ${w.sql}`).run(...w.params).changes));
  }
}

/** The store's prepared statements, for one connection. */
function prepareStatements(db: DatabaseSync): Statements {
  return {
    insertEvent: db.prepare('INSERT INTO events (event_id, body, bytes, created_at) VALUES (?, ?, ?, ?)'),
    insertEntry: db.prepare('INSERT INTO entries (event_row, sink) VALUES (?, ?)'),
    upsertCheckpoint: db.prepare(
      'INSERT INTO checkpoints (source, key, value) VALUES (?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET value = excluded.value',
    ),
    deleteCheckpoint: db.prepare('DELETE FROM checkpoints WHERE source = ? AND key = ?'),
    selectCheckpoints: db.prepare('SELECT key, value FROM checkpoints WHERE source = ?'),
    insertDeadLetterBody: db.prepare(
      `INSERT INTO dead_letters (event_id, sink, body, code, message, attempts, first_attempt, last_attempt, created_at)
       VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, ?)`,
    ),
    deleteEntry: db.prepare('DELETE FROM entries WHERE seq = ?'),
    // The event goes with its last entry (an event routed to two sinks waits for both).
    deleteEventIfDone: db.prepare(
      'DELETE FROM events WHERE id = ? AND NOT EXISTS (SELECT 1 FROM entries WHERE event_row = ?) RETURNING bytes',
    ),
    deleteEvent: db.prepare('DELETE FROM events WHERE id = ?'),
    // Set-based forms for many delivered entries at once; the parameter is a JSON array.
    deleteEntries: db.prepare('DELETE FROM entries WHERE seq IN (SELECT value FROM json_each(?))'),
    // ...and for runs of consecutive ids, the usual shape of in-order deliveries: a range scan.
    deleteEntryRange: db.prepare('DELETE FROM entries WHERE seq BETWEEN ? AND ?'),
    deleteEventRangeIfDone: db.prepare(
      'DELETE FROM events WHERE id BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM entries WHERE event_row = events.id) RETURNING bytes',
    ),
    deleteEventsIfDone: db.prepare(
      'DELETE FROM events WHERE id IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM entries WHERE event_row = events.id) RETURNING bytes',
    ),
    updateRetry: db.prepare(
      'UPDATE entries SET attempts = ?, first_attempt = ?, last_attempt = ?, last_code = ?, last_message = ? WHERE seq = ?',
    ),
    deadLetterFromEntry: db.prepare(
      `INSERT INTO dead_letters (event_id, sink, body, code, message, attempts, first_attempt, last_attempt, created_at)
       SELECT event_id, ?, body, ?, ?, ?, ?, ?, ? FROM events WHERE id = ?`,
    ),
    readEntries: db.prepare(
      `SELECT n.seq AS seq, n.event_row AS eventRow, e.body AS body, n.attempts AS attempts, n.first_attempt AS firstAttempt
       FROM entries n JOIN events e ON e.id = n.event_row
       WHERE n.sink = ? AND n.seq > ? ORDER BY n.seq LIMIT ?`,
    ),
    oldestEvents: db.prepare('SELECT id, bytes FROM events ORDER BY id LIMIT ?'),
    deleteEntriesOfEvent: db.prepare('DELETE FROM entries WHERE event_row = ?'),
    totals: db.prepare('SELECT count(*) AS events, coalesce(sum(bytes), 0) AS bytes FROM events'),
    maxSeq: db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM entries'),
  };
}

/** Sorts `ids` in place and answers its runs of consecutive values as [first, last] (duplicates folded). */
function runsOf(ids: number[]): [number, number][] {
  ids.sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const id of ids) {
    const last = runs[runs.length - 1];
    if (last && id <= last[1] + 1) last[1] = Math.max(last[1], id);
    else runs.push([id, id]);
  }
  return runs;
}

/** A connection's settings: WAL mode, durability, and the WAL's bound. */
function configure(db: DatabaseSync, synchronous: Synchronous, walMaxBytes: number): void {
  const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
  if (mode.journal_mode.toLowerCase() !== 'wal') throw new Error(`cannot switch to WAL mode (got ${mode.journal_mode})`);
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  db.exec('PRAGMA foreign_keys = OFF');
  // Checkpoint the WAL at walMaxBytes (64 MiB) rather than SQLite's ~4 MiB: spooled rows are
  // mostly deleted again (delivered) before a checkpoint, so fewer of them are ever copied
  // into the database file (bench/tail.ts: ~5% less wall time on a backlog). The WAL file is
  // cut back to that size after a checkpoint.
  const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
  db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(1, Math.floor(walMaxBytes / pageSize))}`);
  db.exec(`PRAGMA journal_size_limit = ${Math.floor(walMaxBytes)}`);
}

/** Records when the store was opened; also a write probe (a read-only store fails here). */
function markOpened(db: DatabaseSync): void {
  db.prepare("INSERT INTO meta (key, value) VALUES ('opened_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
    new Date().toISOString(),
  );
}

function migrate(db: DatabaseSync): void {
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (version > SCHEMA_VERSION) {
    throw new Error(`schema version ${version} is newer than this build understands (${SCHEMA_VERSION}); upgrade log2events`);
  }
  for (const [v, migration] of MIGRATIONS.entries()) {
    if (v < version) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migration);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`migration to schema version ${v + 1} failed: ${(err as Error).message}`);
    }
  }
}

/** SQLite's primary result codes that this module tells apart (extended codes carry them in the low byte). */
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

/**
 * A failed store operation as a StateStoreError naming the file: a full file system (`state_dir
 * DIR is full`), a damaged file, or another reason. Errors that already are one pass through.
 */
export function storeError(file: string, err: unknown): StateStoreError {
  if (err instanceof StateStoreError) return err;
  const e = err as { message?: string; errcode?: unknown };
  const msg = e.message ?? String(err);
  const code = typeof e.errcode === 'number' ? e.errcode & 0xff : undefined;
  if (code === SQLITE_FULL || /database or disk is full|ENOSPC|no space left/i.test(msg)) {
    return new StateStoreError(file, `state_dir ${dirname(file)} is full: ${msg}`, 'full');
  }
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB || /not a database|malformed|corrupt/i.test(msg)) {
    return new StateStoreError(file, `damaged: ${msg}`, 'damaged');
  }
  if (/readonly|read-only|permission|unable to open/i.test(msg)) return new StateStoreError(file, `not writable (${msg})`);
  return new StateStoreError(file, msg);
}

function tryWriteManifest(file: string, manifest: Manifest): void {
  try {
    writeManifest(file, manifest);
  } catch {
    // The manifest is rewritten in place (see writeManifest), which needs no new space; should
    // even that fail, a later start reports a missing WAL, and `state check` tells the rest.
  }
}
