import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Sink } from '../sinks/sink.ts';
import type { Intake } from '../sources/source.ts';
import type { StateStore } from '../store/state-store.ts';
import type { SinkCommonOptions } from '../sinks/common-options.ts';
import { SettleQueue } from './settle-queue.ts';
import type { HeldEntry } from './lane-entry.ts';
import { SinkLane, type LaneStatus } from './sink-lane.ts';
import { SpoolIntake, type LaneRouter, type SpoolLimits } from './spool-intake.ts';
import type { DeliveryObserver, RequestReport } from './delivery-report.ts';
import { SinkHealth, type SinkHealthStatus, type SinkState } from './sink-health.ts';

/** Part of the stop budget reserved for aborting in-flight requests and writing their outcomes. */
const STOP_MARGIN_MS = 250;
/** How often the engine looks for entries another process (`dlq replay`) added to the spool. */
const RECHECK_INTERVAL_MS = 2000;

export interface EngineSink {
  sink: Sink;
  options: SinkCommonOptions;
}

export interface DeliveryEngineOptions {
  store: StateStore;
  sinks: Map<string, EngineSink>;
  spool: SpoolLimits;
  logger: Logger;
  metrics: Metrics;
  /** How often to look for entries another process put in the spool (`dlq replay`). */
  recheckIntervalMs?: number;
  /** Most entries per sink held in memory. */
  window?: number;
  /** Told every request's outcome (the tap). */
  observer?: DeliveryObserver;
  /** At most one log line per sink about its failures per interval (default 60 s). */
  healthLogIntervalMs?: number;
  /** Health of sinks carried over from the engine this one replaces (a reload that kept them). */
  health?: ReadonlyMap<string, SinkHealth>;
}

/** A sink as `/status` shows it. */
export interface SinkStatus extends LaneStatus, SinkHealthStatus {
  /** Entries waiting in the spool for this sink, and the age of the oldest one's event. */
  spooled: number;
  oldest_age_ms: number | null;
}

const DEFAULT_HEALTH_LOG_INTERVAL_MS = 60_000;

/**
 * Spool → per-sink lanes. The intake commits events; each sink's lane delivers its entries
 * independently (batching, concurrency, retries, dead letters). Everything durable is in the
 * store, so stopping at any point loses nothing: what was not delivered is sent on next start.
 */
export class DeliveryEngine {
  readonly intake: Intake;
  private readonly spool: SpoolIntake;
  private readonly store: StateStore;
  private readonly lanes = new Map<string, SinkLane>();
  private readonly health = new Map<string, SinkHealth>();
  private readonly logger: Logger;
  private readonly opts: DeliveryEngineOptions;
  private readonly idleWaiters = new Set<() => void>();
  private recheckTimer: NodeJS.Timeout | undefined;
  private readonly settleQueue: SettleQueue;
  private knownMaxSeq = 0;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(opts: DeliveryEngineOptions) {
    this.opts = opts;
    this.store = opts.store;
    if (opts.spool.synchronous) opts.store.setSynchronous(opts.spool.synchronous);
    this.logger = opts.logger.child({ component: 'delivery' });
    this.spool = new SpoolIntake({
      store: opts.store,
      limits: opts.spool,
      sinkNames: new Set(opts.sinks.keys()),
      logger: this.logger,
      metrics: opts.metrics,
      lanes: this.router(),
    });
    this.intake = this.spool;
    const settleQueue = (this.settleQueue = new SettleQueue(opts.store, this.logger, (freed) => this.spool.released(freed), opts.metrics));
    for (const [name, { sink, options }] of opts.sinks) {
      const health =
        opts.health?.get(name) ?? new SinkHealth(name, this.logger, opts.healthLogIntervalMs ?? DEFAULT_HEALTH_LOG_INTERVAL_MS);
      this.health.set(name, health);
      const observer: DeliveryObserver = {
        onRequest: (r: RequestReport) => {
          health.onRequest(r);
          opts.observer?.onRequest(r);
        },
      };
      this.lanes.set(
        name,
        new SinkLane({
          name,
          sink,
          options,
          store: opts.store,
          logger: this.logger,
          metrics: opts.metrics,
          window: opts.window,
          settleQueue,
          onProgress: () => this.checkIdle(),
          tracker: this.spool.tracker,
          observer,
        }),
      );
    }
  }

  /** How the intake reaches the lanes. */
  private router(): LaneRouter {
    return {
      offer: (entries, events) => {
        for (const e of entries) {
          this.knownMaxSeq = Math.max(this.knownMaxSeq, e.seq);
          const event = events[e.index];
          if (event) this.lanes.get(e.sink)?.offer(e.seq, e.eventRow, event);
        }
      },
      hold: (entries) => this.hold(entries),
      adopt: (tickets) => {
        for (const t of tickets) {
          if (!t.row) continue;
          this.knownMaxSeq = Math.max(this.knownMaxSeq, t.row.seq);
          this.lanes.get(t.sink)?.adopt(t.row.seq);
        }
      },
      forget: (rows) => {
        for (const lane of this.lanes.values()) lane.forgetEventRows(rows);
      },
    };
  }

  /** Gives held entries to their lanes if every lane has room for its share; else takes none. */
  private hold(entries: readonly HeldEntry[]): boolean {
    if (!this.started || this.stopping) return false;
    const first = entries[0];
    if (!first) return true;
    const sink = first.ticket.sink;
    const lane = this.lanes.get(sink);
    if (entries.every((e) => e.ticket.sink === sink)) {
      // The common case, one sink for the whole commit: no per-commit tally.
      if (!lane?.canHold(entries.length)) return false;
      for (const e of entries) lane.offerHeld(e);
      return true;
    }
    const counts = new Map<string, number>();
    for (const e of entries) counts.set(e.ticket.sink, (counts.get(e.ticket.sink) ?? 0) + 1);
    for (const [s, n] of counts) if (!this.lanes.get(s)?.canHold(n)) return false;
    for (const e of entries) this.lanes.get(e.ticket.sink)?.offerHeld(e);
    return true;
  }

  /** Dead-letters entries for sinks that no longer exist, then starts delivering the spool. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = Date.now();
    for (const sink of this.store.spooledSinks()) {
      if (this.lanes.has(sink)) continue;
      const { entries, freed } = this.store.deadLetterSink(sink, 'unknown_sink', `sink "${sink}" is not configured (any more)`, now);
      this.opts.metrics.inc('log2events_dead_letters_total', 'Events moved to dead letters', { sink }, entries);
      this.logger.warn('spooled entries for a sink that is not configured moved to dead letters', { sink, entries });
      this.spool.released(freed);
    }
    this.knownMaxSeq = this.store.maxSeq();
    const spooled = this.spool.spooled;
    if (spooled.events > 0) this.logger.info('delivering spooled events', { events: spooled.events, bytes: spooled.bytes });
    for (const lane of this.lanes.values()) lane.start();
    const every = this.opts.recheckIntervalMs ?? RECHECK_INTERVAL_MS;
    this.recheckTimer = setInterval(() => this.recheck(), every);
    this.recheckTimer.unref();
  }

  /** Entries that another process (`dlq replay`) put in the spool are picked up. */
  private recheck(): void {
    let max: number;
    try {
      const wal = this.store.repairWal();
      if (wal === 'repaired') {
        this.logger.error(
          "the state store's write-ahead log was removed while the agent ran: its commits were written into the database and a new log was started",
          { file: this.store.file },
        );
      }
      max = this.store.maxSeq();
      this.store.reclaim();
      this.store.boundWal();
    } catch {
      // A full or failing store: the writes that matter report it; this is tried again.
      return;
    }
    if (max <= this.knownMaxSeq) return;
    this.knownMaxSeq = max;
    this.spool.resync();
    for (const lane of this.lanes.values()) lane.recheckSpool();
  }

  /** The spool's size and each sink's delivery state (for the admin status endpoint). */
  status(): { spool: { events: number; bytes: number; held_events: number }; sinks: Record<string, SinkStatus> } {
    const sinks: Record<string, SinkStatus> = {};
    const now = Date.now();
    for (const [name, lane] of this.lanes) {
      const health = this.health.get(name);
      if (!health) continue; // every lane has its health: set together in the constructor
      let depth: { entries: number; oldest: number | null } = { entries: 0, oldest: null };
      try {
        if (this.store.isOpen) depth = this.store.sinkDepth(name);
      } catch {
        // A status page must not fail because the store is busy or damaged.
      }
      sinks[name] = {
        ...health.status(now),
        ...lane.snapshot(),
        spooled: depth.entries,
        oldest_age_ms: depth.oldest === null ? null : now - depth.oldest,
      };
    }
    return { spool: { ...this.spool.spooled, held_events: this.spool.tracker.events }, sinks };
  }

  /** The health of one sink (handed to the engine that replaces this one when the sink stays). */
  healthOf(sink: string): SinkHealth | undefined {
    return this.health.get(sink);
  }

  /** Each sink's state: ok, degraded or failing. */
  sinkStates(): Map<string, SinkState> {
    const now = Date.now();
    return new Map([...this.health].map(([name, h]) => [name, h.state(now)]));
  }

  /** Current concurrency limit of each sink (for status and tests). */
  concurrency(sink: string): number | undefined {
    return this.lanes.get(sink)?.currentConcurrency;
  }

  private get idle(): boolean {
    for (const lane of this.lanes.values()) if (!lane.idle) return false;
    return true;
  }

  private checkIdle(): void {
    if (this.idleWaiters.size === 0 || !this.idle) return;
    for (const w of [...this.idleWaiters]) w();
  }

  /**
   * Resolves true when nothing deliverable is left (everything delivered or dead-lettered), or
   * false when `timeoutMs` passed first.
   */
  flush(timeoutMs = Infinity): Promise<boolean> {
    if (this.idle) return Promise.resolve(true);
    for (const lane of this.lanes.values()) lane.expedite();
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (drained: boolean) => {
        this.idleWaiters.delete(onIdle);
        if (timer) clearTimeout(timer);
        resolve(drained);
      };
      const onIdle = () => done(true);
      this.idleWaiters.add(onIdle);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => done(false), timeoutMs);
    });
  }

  /**
   * Graceful shutdown: refuses new commits, sends what is pending now, waits for in-flight
   * requests up to `timeoutMs`, aborts the rest and records every outcome. What was not
   * delivered stays in the spool.
   */
  stop(timeoutMs: number, reason: 'shutdown' | 'reload' = 'shutdown'): Promise<void> {
    this.stopping ??= (async () => {
      this.spool.close();
      // Outcomes kept in memory for a store that refused them get one more try, then stay spooled.
      this.settleQueue.stop();
      if (this.recheckTimer) clearInterval(this.recheckTimer);
      // Keep a little of the budget for aborting what is still in flight and recording it.
      const deadline = Date.now() + timeoutMs - Math.min(STOP_MARGIN_MS, timeoutMs / 10);
      await Promise.all([...this.lanes.values()].map((lane) => lane.drain(deadline)));
      // What is still held goes to the spool; the positions of what was delivered are written.
      if (this.store.isOpen) this.spool.tracker.close();
      for (const w of [...this.idleWaiters]) w();
      const left = this.store.isOpen ? this.store.totals() : undefined;
      // A reload says what it did in a line of its own.
      this.logger[reason === 'reload' ? 'debug' : 'info']('delivery stopped', left ? { spooled_events: left.events } : {});
    })();
    return this.stopping;
  }
}
