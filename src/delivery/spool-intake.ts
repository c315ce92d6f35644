import type { Event } from '../model/event.ts';
import { eventJson } from '../model/event-json.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Checkpoint, CommitOptions, CommitResult, Intake } from '../sources/source.ts';
import {
  StateStoreError,
  type CheckpointRow,
  type CreatedEntry,
  type EventToSpool,
  type SpoolTotals,
  type StateStore,
  type Synchronous,
} from '../store/state-store.ts';
import { AckTracker, type Ticket } from './ack-tracker.ts';
import type { HeldEntry } from './lane-entry.ts';

export interface SpoolLimits {
  max_events: number;
  max_bytes: number;
  full_policy: 'block' | 'drop_oldest';
  /** Applied to the store by the engine when given (`delivery.spool.synchronous`). */
  synchronous?: Synchronous;
  /** How long a replayable commit may stay held, in ms (default HOLD_MAX_MS); 0: none is held. */
  hold?: number;
}

export interface SpoolIntakeDeps {
  store: StateStore;
  limits: SpoolLimits;
  /** Names of the configured sinks; an event routed elsewhere becomes a dead letter. */
  sinkNames: ReadonlySet<string>;
  logger: Logger;
  metrics: Metrics;
  /** Where committed entries go. */
  lanes: LaneRouter;
}

/** The intake's view of the sink lanes. */
export interface LaneRouter {
  /** Entries a commit spooled. */
  offer(entries: readonly CreatedEntry[], events: readonly Event[]): void;
  /**
   * Held entries (not spooled), each to the lane of its ticket's sink, when every lane named
   * can keep its share in memory now; answers false, taking none, when one cannot.
   */
  hold(entries: readonly HeldEntry[]): boolean;
  /** Held entries were spooled: the spool's rows of entries their lanes hold already. */
  adopt(tickets: readonly Ticket[]): void;
  /** drop_oldest removed these events. */
  forget(eventRows: ReadonlySet<number>): void;
}

const NO_LABELS = Object.freeze({});
const NO_DEAD_SINKS: EventToSpool['deadSinks'] = Object.freeze([]);

/** How long a blocked source waits before trying again when it does not use `waitForRoom`. */
const FULL_RETRY_AFTER_MS = 100;
/** ...and after a failed write (disk full, I/O error), which is unlikely to clear at once. */
const COMMIT_ERROR_RETRY_AFTER_MS = 1000;
/**
 * After a write failed for lack of space, intake stays paused until the state_dir's file system
 * has this much free again (checked at most once per COMMIT_ERROR_RETRY_AFTER_MS): a small
 * commit that happens to fit in a freed page must not let every source in for the next one to
 * fail.
 */
const RESUME_FREE_BYTES = 1 << 20;
/**
 * A held commit older than this is spooled even if its sink is slow, so that a crash re-reads
 * little and a file's position does not trail far behind what was read.
 */
export const HOLD_MAX_MS = 2000;

/**
 * The sources' door into the spool: one transaction per commit for the events (one entry per
 * sink) and the source's checkpoints. Keeps the spool's size in memory so that the full check
 * costs nothing, and wakes blocked sources when deliveries make room.
 */
export class SpoolIntake implements Intake {
  private readonly deps: SpoolIntakeDeps;
  private readonly totals: SpoolTotals;
  private closed = false;
  /** Size of the last commit refused for lack of room: room means room for that much. */
  private wanted: SpoolTotals = { events: 0, bytes: 0 };
  private readonly waiters = new Set<() => void>();
  /** After a failed write, waiting sources hold off until then. */
  private failedUntil = 0;
  /** The last commit failed in the store (logged once per streak). */
  private commitsFailing = false;
  /** A commit failed for lack of space: refused until space is back (see RESUME_FREE_BYTES). */
  private pausedForSpace = false;
  private nextSpaceCheck = 0;
  /** The held commits of replayable sources; lanes ack and nack their entries' tickets here. */
  readonly tracker: AckTracker;

  constructor(deps: SpoolIntakeDeps) {
    this.deps = deps;
    this.totals = deps.store.totals();
    this.tracker = new AckTracker({
      store: deps.store,
      logger: deps.logger,
      metrics: deps.metrics,
      holdMs: deps.limits.hold ?? HOLD_MAX_MS,
      onSecured: (tickets, added) => {
        this.totals.events += added.events;
        this.totals.bytes += added.bytes;
        deps.lanes.adopt(tickets);
      },
      onChange: () => this.publish(),
    });
    this.publish();
  }

  get spooled(): Readonly<SpoolTotals> {
    return this.totals;
  }

  commit(events: readonly Event[], checkpoints: readonly Checkpoint[] = [], options: CommitOptions = {}): CommitResult {
    if (this.closed) return { ok: false, reason: 'closed' };
    const { sinkNames } = this.deps;
    const rows: EventToSpool[] = [];
    const adding: SpoolTotals = { events: 0, bytes: 0 };
    for (const event of events) {
      const body = eventJson(event);
      const bytes = Buffer.byteLength(body);
      let sinks: readonly string[];
      let deadSinks: EventToSpool['deadSinks'] = NO_DEAD_SINKS;
      const only = event.to.length === 1 ? event.to[0] : undefined;
      if (only !== undefined && sinkNames.has(only)) {
        // Most rules name one configured sink: its list serves as is.
        sinks = event.to;
      } else {
        const found: string[] = [];
        const dead: EventToSpool['deadSinks'][number][] = [];
        if (event.to.length === 0) dead.push({ sink: '', code: 'no_sink', message: `rule "${event.rule}" routes the event to no sink` });
        for (const sink of new Set(event.to)) {
          if (sinkNames.has(sink)) found.push(sink);
          else dead.push({ sink, code: 'unknown_sink', message: `sink "${sink}" is not configured` });
        }
        sinks = found;
        deadSinks = dead;
      }
      if (sinks.length > 0) {
        adding.events += 1;
        adding.bytes += bytes;
      }
      rows.push({ eventId: event.id, body, bytes, sinks, deadSinks });
    }
    const checkpointRows = checkpoints.map((c) => ({ source: c.source, key: c.key, value: c.value }));
    if (this.pausedForSpace && !this.spaceIsBack()) {
      this.deps.metrics.inc('log2events_spool_commit_errors_total', 'Spool commits that failed in the state store');
      this.failedUntil = Date.now() + COMMIT_ERROR_RETRY_AFTER_MS;
      return { ok: false, reason: 'full', retryAfterMs: COMMIT_ERROR_RETRY_AFTER_MS };
    }
    // While the store refuses writes for lack of space, nothing is delivered from memory either:
    // the commit goes to the store, which answers whether space has come back (intake pauses).
    if (options.replayable && !this.deps.store.full && this.tryHold(rows, events, checkpointRows, options.noticedAt)) return { ok: true };
    if (!this.hasRoomFor(adding)) {
      if (this.deps.limits.full_policy === 'block') {
        this.wanted = adding;
        this.deps.metrics.inc('log2events_spool_full_total', 'Commits refused because the spool was full');
        return { ok: false, reason: 'full', retryAfterMs: FULL_RETRY_AFTER_MS };
      }
      this.dropOldest(adding);
    }
    // A replayable commit that could not be held goes after the held ones, which are secured in
    // the same transaction. Other sources' commits have checkpoints of their own.
    const afterHeld = options.replayable && this.tracker.size > 0;
    let created: CreatedEntry[];
    const startedAt = performance.now();
    try {
      created = afterHeld
        ? this.tracker.secureWith(rows, checkpointRows, Date.now())
        : this.deps.store.commitEvents(rows, checkpointRows, Date.now());
      this.deps.metrics.observe(
        'log2events_spool_commit_duration_seconds',
        'Time to write a commit to the spool (one transaction)',
        NO_LABELS,
        (performance.now() - startedAt) / 1000,
      );
    } catch (err) {
      // Disk full, I/O error: nothing was committed (the transaction rolled back), so the source
      // keeps its position and tries again, as when the spool is full (OTLP answers 429).
      this.deps.metrics.inc('log2events_spool_commit_errors_total', 'Spool commits that failed in the state store');
      if (!this.commitsFailing) this.deps.logger.error('spool commit failed; intake pauses and retries', { error: err as Error });
      this.commitsFailing = true;
      if (err instanceof StateStoreError && err.kind === 'full') this.pausedForSpace = true;
      this.failedUntil = Date.now() + COMMIT_ERROR_RETRY_AFTER_MS;
      return { ok: false, reason: 'full', retryAfterMs: COMMIT_ERROR_RETRY_AFTER_MS };
    }
    if (this.commitsFailing) this.deps.logger.info('spool commits succeed again; intake resumes', { file: this.deps.store.file });
    this.commitsFailing = false;
    this.pausedForSpace = false;
    this.totals.events += adding.events;
    this.totals.bytes += adding.bytes;
    // Room was found for this commit; a commit that took no room says nothing about the others.
    if (adding.events > 0) this.wanted = { events: 0, bytes: 0 };
    for (const r of rows) {
      for (const d of r.deadSinks) {
        this.deps.metrics.inc('log2events_dead_letters_total', 'Events moved to dead letters', { sink: d.sink });
        this.deps.logger.warn('event moved to dead letters', { sink: d.sink, code: d.code, message: d.message, event_id: r.eventId });
      }
    }
    this.publish();
    this.deps.lanes.offer(created, events);
    return { ok: true };
  }

  /** Whether the state_dir has room again (looked at once per retry interval). */
  private spaceIsBack(): boolean {
    const now = Date.now();
    if (now < this.nextSpaceCheck) return false;
    this.nextSpaceCheck = now + COMMIT_ERROR_RETRY_AFTER_MS;
    return this.deps.store.freeBytes() >= RESUME_FREE_BYTES;
  }

  waitForRoom(signal?: AbortSignal): Promise<void> {
    const holdOff = this.failedUntil - Date.now();
    if (holdOff > 0 && !this.closed && !signal?.aborted) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, holdOff);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    if (this.closed || this.hasRoomFor(this.wanted) || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  checkpoints(source: string): Map<string, string> {
    return this.deps.store.checkpoints(source);
  }

  forgetCheckpoints(source: string, keys: readonly string[]): void {
    // The files are gone: what was held of them cannot be read again.
    this.tracker.secure();
    this.tracker.forget(source, new Set(keys));
    this.deps.store.forgetCheckpoints(source, keys);
  }

  /** Spools every held commit now (a file was rotated, truncated or went away). */
  secure(): void {
    this.tracker.secure();
  }

  private tryHold(
    rows: readonly EventToSpool[],
    events: readonly Event[],
    checkpoints: CheckpointRow[],
    noticedAt: number | undefined,
  ): boolean {
    if (!this.tracker.enabled) return false;
    for (const r of rows) if (r.deadSinks.length > 0) return false;
    const now = Date.now();
    // Linger counts from when the source noticed the events (never from the future).
    const readyAt = noticedAt === undefined ? now : Math.min(now, noticedAt);
    return this.tracker.hold(rows, checkpoints, now, (tickets) => {
      const entries: HeldEntry[] = [];
      for (const [i, event] of events.entries()) {
        for (const ticket of tickets[i] ?? []) {
          entries.push({ kind: 'held', ticket, event, size: 0, attempts: 0, firstAttempt: null, readyAt });
        }
      }
      return this.deps.lanes.hold(entries);
    });
  }

  /** Deliveries freed room. */
  released(freed: SpoolTotals): void {
    this.totals.events = Math.max(0, this.totals.events - freed.events);
    this.totals.bytes = Math.max(0, this.totals.bytes - freed.bytes);
    this.publish();
    if (this.waiters.size > 0 && (this.closed || this.hasRoomFor(this.wanted))) for (const w of [...this.waiters]) w();
  }

  /** Re-reads the totals from the store (another process may have replayed dead letters). */
  resync(): void {
    const t = this.deps.store.totals();
    this.totals.events = t.events;
    this.totals.bytes = t.bytes;
    this.publish();
  }

  /** Refuses further commits and releases waiting sources. */
  close(): void {
    this.closed = true;
    for (const w of [...this.waiters]) w();
  }

  private hasRoomFor(adding: SpoolTotals): boolean {
    const { max_events, max_bytes } = this.deps.limits;
    // A commit that spools nothing (checkpoints only) takes no room; an empty spool takes any
    // commit, so that one commit larger than the limits cannot block forever.
    if (adding.events === 0 || this.totals.events === 0) return true;
    return this.totals.events + adding.events <= max_events && this.totals.bytes + adding.bytes <= max_bytes;
  }

  private dropOldest(adding: SpoolTotals): void {
    const { max_events, max_bytes } = this.deps.limits;
    const dropped = this.deps.store.dropOldest(this.totals, adding, { events: max_events, bytes: max_bytes });
    if (dropped.events === 0) return;
    this.totals.events -= dropped.events;
    this.totals.bytes -= dropped.bytes;
    this.deps.metrics.inc('log2events_spool_dropped_total', 'Events dropped from a full spool (drop_oldest)', {}, dropped.events);
    this.deps.logger.warn('spool full: dropped the oldest events', { dropped: dropped.events, bytes: dropped.bytes });
    this.deps.lanes.forget(new Set(dropped.eventRows));
  }

  private publish(): void {
    this.deps.metrics.set('log2events_spool_events', 'Events in the spool', {}, this.totals.events);
    this.deps.metrics.set('log2events_spool_bytes', 'Bytes of events in the spool', {}, this.totals.bytes);
    this.deps.metrics.set(
      'log2events_held_events',
      'Events of files delivered from memory, their file positions not yet written',
      {},
      this.tracker.events,
    );
  }
}
