import type { Event } from '../model/event.ts';
import { eventJson } from '../model/event-json.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Checkpoint, CommitResult, Intake } from '../sources/source.ts';
import type { CreatedEntry, EventToSpool, SpoolTotals, StateStore, Synchronous } from '../store/state-store.ts';

export interface SpoolLimits {
  max_events: number;
  max_bytes: number;
  full_policy: 'block' | 'drop_oldest';
  /** Applied to the store by the engine when given (`delivery.spool.synchronous`). */
  synchronous?: Synchronous;
}

export interface SpoolIntakeDeps {
  store: StateStore;
  limits: SpoolLimits;
  /** Names of the configured sinks; an event routed elsewhere becomes a dead letter. */
  sinkNames: ReadonlySet<string>;
  logger: Logger;
  metrics: Metrics;
  /** Called after each successful commit with the entries it created. */
  onCommitted: (entries: readonly CreatedEntry[], events: readonly Event[]) => void;
  /** Called after drop_oldest removed events. */
  onDropped: (eventRows: ReadonlySet<number>) => void;
}

/** How long a blocked source waits before trying again when it does not use `waitForRoom`. */
const FULL_RETRY_AFTER_MS = 100;
/** ...and after a failed write (disk full, I/O error), which is unlikely to clear at once. */
const COMMIT_ERROR_RETRY_AFTER_MS = 1000;

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

  constructor(deps: SpoolIntakeDeps) {
    this.deps = deps;
    this.totals = deps.store.totals();
    this.publish();
  }

  get spooled(): Readonly<SpoolTotals> {
    return this.totals;
  }

  commit(events: readonly Event[], checkpoints: readonly Checkpoint[] = []): CommitResult {
    if (this.closed) return { ok: false, reason: 'closed' };
    const { sinkNames } = this.deps;
    const rows: EventToSpool[] = [];
    const adding: SpoolTotals = { events: 0, bytes: 0 };
    for (const event of events) {
      const body = eventJson(event);
      const bytes = Buffer.byteLength(body);
      const sinks: string[] = [];
      const deadSinks: EventToSpool['deadSinks'][number][] = [];
      // Most rules name one sink: no Set for those.
      const targets = event.to.length === 1 ? event.to : new Set(event.to);
      if (event.to.length === 0) deadSinks.push({ sink: '', code: 'no_sink', message: `rule "${event.rule}" routes the event to no sink` });
      for (const sink of targets) {
        if (sinkNames.has(sink)) sinks.push(sink);
        else deadSinks.push({ sink, code: 'unknown_sink', message: `sink "${sink}" is not configured` });
      }
      if (sinks.length > 0) {
        adding.events += 1;
        adding.bytes += bytes;
      }
      rows.push({ eventId: event.id, body, bytes, sinks, deadSinks });
    }
    if (!this.hasRoomFor(adding)) {
      if (this.deps.limits.full_policy === 'block') {
        this.wanted = adding;
        this.deps.metrics.inc('log2events_spool_full_total', 'Commits refused because the spool was full');
        return { ok: false, reason: 'full', retryAfterMs: FULL_RETRY_AFTER_MS };
      }
      this.dropOldest(adding);
    }
    let created;
    try {
      created = this.deps.store.commitEvents(
        rows,
        checkpoints.map((c) => ({ source: c.source, key: c.key, value: c.value })),
        Date.now(),
      );
    } catch (err) {
      // Disk full, I/O error: nothing was committed (the transaction rolled back), so the source
      // keeps its position and tries again, as when the spool is full.
      this.deps.metrics.inc('log2events_spool_commit_errors_total', 'Spool commits that failed in the state store');
      this.deps.logger.error('spool commit failed; the source will retry', { file: this.deps.store.file, error: err as Error });
      this.failedUntil = Date.now() + COMMIT_ERROR_RETRY_AFTER_MS;
      return { ok: false, reason: 'full', retryAfterMs: COMMIT_ERROR_RETRY_AFTER_MS };
    }
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
    this.deps.onCommitted(created, events);
    return { ok: true };
  }

  waitForRoom(signal?: AbortSignal): Promise<void> {
    const holdOff = this.failedUntil - Date.now();
    if (holdOff > 0 && !this.closed && !signal?.aborted) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, holdOff);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
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
    this.deps.store.forgetCheckpoints(source, keys);
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
    this.deps.onDropped(new Set(dropped.eventRows));
  }

  private publish(): void {
    this.deps.metrics.set('log2events_spool_events', 'Events in the spool', {}, this.totals.events);
    this.deps.metrics.set('log2events_spool_bytes', 'Bytes of events in the spool', {}, this.totals.bytes);
  }
}
