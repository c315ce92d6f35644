import PQueue from 'p-queue';
import type { Event } from '../model/event.ts';
import type { Logger } from '../observability/logger.ts';
import { SIZE_BUCKETS, type Metrics } from '../observability/metrics.ts';
import type { SendResult, Sink, SinkLimits } from '../sinks/sink.ts';
import type { StateStore } from '../store/state-store.ts';
import { ActionOrder } from './action-order.ts';
import { planSettlement, retryable } from './settlement-plan.ts';
import { Settler } from './settlement-apply.ts';
import { sendWithDeadline } from './send-with-deadline.ts';
import { MIN_WINDOW, SpoolWindow } from './spool-window.ts';
import type { AckTracker } from './ack-tracker.ts';
import { Batcher } from './batcher.ts';
import { AdaptiveConcurrency, FixedConcurrency, type ConcurrencyLimit } from './adaptive-concurrency.ts';
import { AdaptiveRate, type RatePacer } from './adaptive-rate.ts';
import type { SinkCommonOptions } from '../sinks/common-options.ts';
import { RetryPolicy } from './retry-policy.ts';
import { RetrySchedule } from './retry-schedule.ts';
import type { SettleQueue } from './settle-queue.ts';
import type { DeliveryObserver } from './delivery-report.ts';
import { type HeldEntry, type LaneEntry, type SpooledEntry, spooled } from './lane-entry.ts';

export interface LaneDeps {
  name: string;
  sink: Sink;
  options: SinkCommonOptions;
  store: StateStore;
  logger: Logger;
  metrics: Metrics;
  /** Writes outcomes to the store (grouped with other lanes' into one transaction). */
  settleQueue: SettleQueue;
  /** Called whenever the lane may have become idle. */
  onProgress: () => void;
  /** Where held entries' outcomes go (ack, nack). */
  tracker: AckTracker;
  /** Most entries held in memory (pending + backing off + in flight); the rest wait in the spool. */
  window?: number;
  random?: () => number;
  /** Told the outcome of every request (sink health, tap). */
  observer?: DeliveryObserver;
}

export interface LaneStatus {
  concurrency: number;
  in_flight_requests: number;
  /** Entries waiting for a batch. */
  pending: number;
  /** Entries waiting for their next attempt. */
  backing_off: number;
  /** Set while the provider's Retry-After holds the sink back. */
  paused_until?: string;
  /** Requests per second the sink paces itself to after throttling (absent while unpaced). */
  paced_rate?: number;
}

export function effectiveLimits(sink: SinkLimits, options: SinkCommonOptions): SinkLimits {
  return {
    maxEntries: Math.min(sink.maxEntries, options.batch.max_entries ?? Infinity),
    maxBytes: Math.min(sink.maxBytes, options.batch.max_bytes ?? Infinity),
  };
}

export function concurrencyLimit(c: SinkCommonOptions['concurrency']): ConcurrencyLimit {
  if (typeof c === 'number') return new FixedConcurrency(c);
  const a = c === 'adaptive' ? { min: 1, max: 16, initial: undefined } : c.adaptive;
  const max = Math.max(a.min, a.max);
  return new AdaptiveConcurrency({ min: a.min, max, initial: a.initial ?? Math.min(max, Math.max(a.min, 4)) });
}

/** Requests per second as p-queue's integer cap per interval. */
function rateLimitOptions(rate: number | undefined): { interval?: number; intervalCap?: number; strict?: boolean } {
  if (rate === undefined) return {};
  const cap = Math.max(1, Math.round(rate));
  return { interval: Math.round((1000 * cap) / rate), intervalCap: cap, strict: true };
}

/**
 * Delivery for one sink: reads its entries from the spool into a bounded window, cuts batches
 * (entries, bytes, linger), sends them through a p-queue (fixed or adaptive concurrency,
 * optional rate limit, per-request timeout), and settles each entry's outcome in the store:
 * delivered entries leave the spool, failed ones back off and are retried alone, permanent or
 * expired ones become dead letters.
 */
export class SinkLane {
  readonly name: string;
  private readonly sink: Sink;
  private readonly options: SinkCommonOptions;
  private readonly store: StateStore;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly deps: LaneDeps;
  readonly limits: SinkLimits;
  private readonly policy: RetryPolicy;
  private readonly concurrency: ConcurrencyLimit;
  private readonly pacer: RatePacer;
  private readonly queue: PQueue;
  private readonly retries: RetrySchedule<LaneEntry>;
  private readonly window: SpoolWindow;
  /** Carries out each request's settlement plan. */
  private readonly settler: Settler;
  private readonly abort = new AbortController();
  private readonly labels: { sink: string };

  private readonly pending: Batcher<LaneEntry>;
  private readonly order = new ActionOrder<LaneEntry>();
  private inFlightEntries = 0;
  private inFlightRequests = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private state: 'idle' | 'running' | 'draining' | 'stopped' = 'idle';
  private readonly settling = new Set<Promise<void>>();
  /** Checks waiting for the lane to make progress (drain). */
  private readonly progressWaiters = new Set<() => void>();

  constructor(deps: LaneDeps) {
    this.deps = deps;
    this.name = deps.name;
    this.sink = deps.sink;
    this.options = deps.options;
    this.store = deps.store;
    this.logger = deps.logger.child({ sink: deps.name });
    this.metrics = deps.metrics;
    this.labels = { sink: deps.name };
    this.limits = effectiveLimits(deps.sink.limits, deps.options);
    this.policy = new RetryPolicy(deps.options.retry, deps.random);
    this.concurrency = concurrencyLimit(deps.options.concurrency);
    this.pacer = new AdaptiveRate(deps.random ? { random: deps.random } : {});
    this.queue = new PQueue({ concurrency: this.concurrency.current, ...rateLimitOptions(deps.options.rate_limit) });
    this.pending = new Batcher(this.limits, deps.options.batch.linger);
    this.retries = new RetrySchedule((due) => this.onRetryDue(due));
    this.window = new SpoolWindow({
      store: deps.store,
      sink: deps.name,
      logger: this.logger,
      // Room for a full batch in every request the sink may have in flight, and the next one.
      size: deps.window ?? Math.max(MIN_WINDOW, this.limits.maxEntries * (this.concurrency.max + 1)),
      inMemory: () => this.inMemory,
    });
    this.settler = new Settler({
      name: deps.name,
      logger: this.logger,
      metrics: deps.metrics,
      queue: deps.settleQueue,
      tracker: deps.tracker,
      policy: this.policy,
      observer: deps.observer,
      retryAt: (at, entry) => {
        if (this.state === 'running') this.retries.add(at, entry);
      },
      release: (entry) => this.release(entry),
      settled: (seq) => this.window.settled(seq),
    });
    this.metrics.set('log2events_sink_concurrency', 'Requests a sink may have in flight', this.labels, this.concurrency.current);
  }

  get currentConcurrency(): number {
    return this.concurrency.current;
  }

  /** What the lane holds now, for status pages. */
  snapshot(): LaneStatus {
    return {
      concurrency: this.concurrency.current,
      in_flight_requests: this.inFlightRequests,
      pending: this.pending.length,
      backing_off: this.retries.size,
      ...(this.pausedUntil > Date.now() ? { paused_until: new Date(this.pausedUntil).toISOString() } : {}),
      ...(this.pacer.rate !== undefined ? { paced_rate: Math.round(this.pacer.rate * 100) / 100 } : {}),
    };
  }

  /** Entries in memory: pending, waiting for their key, backing off or in flight. */
  private get inMemory(): number {
    return this.pending.length + this.order.waiting + this.retries.size + this.inFlightEntries;
  }

  /** Nothing to send now or later (short of new commits). */
  get idle(): boolean {
    return (
      this.pending.length === 0 &&
      this.order.waiting === 0 &&
      this.retries.size === 0 &&
      this.inFlightEntries === 0 &&
      !this.window.hasMore &&
      this.settling.size === 0
    );
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.pump();
  }

  /** A commit spooled `entry` for this sink. */
  offer(seq: number, eventRow: number, event: Event): void {
    if (this.state === 'stopped') return;
    this.metrics.inc('log2events_sink_events_total', 'Events routed to a sink', this.labels);
    if (this.state !== 'running' || !this.window.hasRoom(1)) {
      this.window.markMore();
    } else {
      this.window.took(seq);
      this.push({ kind: 'spooled', seq, eventRow, event, size: 0, attempts: 0, firstAttempt: null, readyAt: Date.now() });
    }
    this.schedulePump();
  }

  /** Whether `count` more held entries fit in memory now, in order with the spool. */
  canHold(count: number): boolean {
    return this.state === 'running' && this.window.hasRoom(count);
  }

  /** A held entry (see canHold). */
  offerHeld(entry: HeldEntry): void {
    this.metrics.inc('log2events_sink_events_total', 'Events routed to a sink', this.labels);
    this.push(entry);
    this.schedulePump();
  }

  /** A held entry of this lane was spooled: it got a seq that the spool reads must not bring in again. */
  adopt(seq: number): void {
    if (this.state !== 'stopped') this.window.adopt(seq);
  }

  private pumpScheduled = false;
  /** Set by expedite() until nothing is pending. */
  private expedited = false;

  /** Coalesces the pumps of many commits in one tick into one. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Something else (a replay) may have added entries to the spool. */
  recheckSpool(): void {
    if (this.state !== 'running') return;
    this.window.markMore();
    this.pump();
  }

  /** Entries of dropped events (drop_oldest) leave memory too, unless already in flight. */
  forgetEventRows(rows: ReadonlySet<number>): void {
    const dropped = (e: LaneEntry) => e.kind === 'spooled' && rows.has(e.eventRow);
    this.pending.remove(dropped);
    this.order.remove(dropped);
    for (const gone of this.retries.remove(dropped)) this.release(gone);
  }

  /** Sizes an entry and queues it, or dead-letters it when no request can carry it. */
  private push(entry: LaneEntry): void {
    // An event the provider can never accept goes to dead letters alone, before a batch would
    // carry it to an all-or-nothing API with its neighbours.
    const problem = this.sink.check?.(entry.event);
    if (problem) {
      this.deadOnArrival(entry, problem.code, problem.message);
      return;
    }
    try {
      entry.size = this.sink.entrySize(entry.event);
    } catch (err) {
      // A spooled event the sink cannot even measure (an old or damaged record) will never send.
      this.deadOnArrival(entry, 'invalid_event', `the ${this.sink.type} sink cannot encode the event: ${(err as Error).message}`);
      return;
    }
    if (entry.size > this.limits.maxBytes) {
      this.deadOnArrival(
        entry,
        'entry_too_large',
        `event is ${entry.size} bytes; a ${this.sink.type} request carries at most ${this.limits.maxBytes}`,
      );
      return;
    }
    this.pending.push(entry);
  }

  private deadOnArrival(entry: LaneEntry, code: string, message: string): void {
    let dead: SpooledEntry;
    if (entry.kind === 'held') {
      // A held entry needs its row before it can become a dead letter.
      const row = this.deps.tracker.nack([entry.ticket])?.[0];
      if (!row) {
        // The store refused: try again later. Until then its commit stays held, its lines unread.
        setTimeout(() => this.state === 'running' && this.push(entry), this.policy.delay(1)).unref();
        return;
      }
      dead = spooled(entry, row);
    } else {
      dead = entry;
    }
    this.track(this.settler.deadOnArrival(dead, code, message));
  }

  private fill(): void {
    if (this.state !== 'running') return;
    this.window.fill(
      (entry) => this.push(entry),
      (move) => this.track(this.settler.unreadable(move)),
    );
  }

  private slotFree(): boolean {
    return this.queue.size === 0 && this.inFlightRequests < this.concurrency.current;
  }

  /** Cuts and sends batches while there are entries and free slots. */
  private pump(): void {
    if (this.state === 'stopped' || this.state === 'idle' || this.abort.signal.aborted) return;
    this.fill();
    const now = Date.now();
    while (this.pending.length > 0 && this.slotFree()) {
      if (now < this.pausedUntil) {
        if (this.state === 'draining') break;
        this.wakeAt(this.pausedUntil);
        break;
      }
      const paceAt = this.pacer.nextAt();
      if (now < paceAt) {
        this.wakeAt(paceAt);
        break;
      }
      const cut = this.pending.cut(now, this.state === 'draining' || this.expedited);
      if (!('batch' in cut)) {
        if ('waitUntil' in cut) this.wakeAt(cut.waitUntil);
        break;
      }
      const batch = this.order.admit(cut.batch);
      if (batch.length > 0) {
        this.pacer.onSend(now);
        this.dispatch(batch);
      }
      this.fill();
    }
    if (this.pending.length === 0) this.expedited = false;
    this.progressed();
  }

  /** Sends what is pending without waiting for the linger (a flush: `run --once`, forceFlush). */
  expedite(): void {
    if (this.pending.length === 0) return;
    this.expedited = true;
    this.pump();
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private dispatch(batch: LaneEntry[]): void {
    this.inFlightEntries += batch.length;
    this.inFlightRequests += 1;
    const done = this.queue
      .add(() => this.send(batch), { signal: this.abort.signal })
      .then(
        (r) => r,
        (err: unknown): { result: SendResult; startedAt: number } => {
          const outcome = this.abort.signal.aborted ? retryable('aborted', 'shutting down') : retryable('send_failed', String(err));
          return { result: { outcomes: batch.map(() => outcome), throttled: false }, startedAt: Date.now() };
        },
      )
      .then(async ({ result, startedAt }) => {
        this.inFlightRequests -= 1;
        await this.onSent(batch, result, startedAt);
        this.inFlightEntries -= batch.length;
        this.pump();
      });
    this.track(done);
  }

  /** Work that must finish before the lane counts as idle or stopped. */
  private track(p: Promise<unknown>): void {
    const done = p.then(() => undefined);
    this.settling.add(done);
    void done.finally(() => {
      this.settling.delete(done);
      this.progressed();
    });
  }

  private async send(batch: LaneEntry[]): Promise<{ result: SendResult; startedAt: number }> {
    const startedAt = Date.now();
    // The next batch may be cut as soon as this one leaves the queue (rate limit, concurrency).
    this.schedulePump();
    this.metrics.inc('log2events_requests_total', 'Requests sent to a sink', this.labels);
    const events = batch.map((e) => e.event);
    const result = await sendWithDeadline(this.sink, events, this.options.timeout, this.abort.signal);
    return { result, startedAt };
  }

  /** A request was answered: the lane adapts, plans each entry's fate, and the settler carries it out. */
  private async onSent(batch: LaneEntry[], result: SendResult, startedAt: number): Promise<void> {
    const now = Date.now();
    this.adapt(result.throttled, startedAt, now, batch.length);
    const plan = planSettlement(batch, result, this.policy, now, startedAt);
    if (plan.pauseUntil !== undefined) this.pausedUntil = Math.max(this.pausedUntil, plan.pauseUntil);
    await this.settler.apply(plan, { throttled: result.throttled, startedAt, now });
  }

  /** Concurrency and pace follow each answer (throttling, latency); the request is counted. */
  private adapt(throttled: boolean, startedAt: number, now: number, entries: number): void {
    this.concurrency.onResult({ startedAt, latencyMs: now - startedAt, throttled });
    this.pacer.onResult({ startedAt, now, throttled });
    this.queue.concurrency = this.concurrency.current;
    this.metrics.set('log2events_sink_concurrency', 'Requests a sink may have in flight', this.labels, this.concurrency.current);
    this.metrics.observe(
      'log2events_sink_request_duration_seconds',
      'Time from sending a request to its answer, per sink',
      this.labels,
      (now - startedAt) / 1000,
    );
    this.metrics.observe('log2events_sink_batch_entries', 'Entries per request, per sink', this.labels, entries, SIZE_BUCKETS);
    if (throttled) this.metrics.inc('log2events_throttled_total', 'Requests a sink answered with throttling', this.labels);
  }

  /** `entry` reached its final outcome: entries of its key that waited on it may go. */
  private release(entry: LaneEntry): void {
    for (const e of this.order.resolved(entry)) this.pending.push(e);
  }

  private onRetryDue(due: LaneEntry[]): void {
    const now = Date.now();
    for (const e of due) {
      e.readyAt = now;
      this.pending.push(e);
    }
    this.pump();
  }

  /** The lane may have become idle or drained: whoever waits for that looks again. */
  private progressed(): void {
    if (this.progressWaiters.size > 0) for (const check of [...this.progressWaiters]) check();
    this.deps.onProgress();
  }

  /** Resolves once `cond` holds, looked at whenever the lane makes progress, or at `deadline`. */
  private until(cond: () => boolean, deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.progressWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (cond()) done();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.progressWaiters.add(check);
      check();
    });
  }

  /**
   * Graceful stop: no more reads from the spool and no retries; what is pending goes out now
   * (linger ignored) while requests are allowed; at `deadline` in-flight requests are aborted.
   * Resolves once every request has been settled in the store.
   */
  async drain(deadline: number): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'draining';
    this.retries.clear();
    this.pump();
    // Pending entries may wait behind a Retry-After pause: those stay spooled.
    await this.until(() => this.inFlightRequests === 0 && (this.pending.length === 0 || Date.now() < this.pausedUntil), deadline);
    this.abort.abort();
    while (this.settling.size > 0) await Promise.allSettled([...this.settling]);
    this.halt();
  }

  /** Stops at once: timers off, nothing more sent. Spooled entries stay for the next start. */
  halt(): void {
    this.state = 'stopped';
    this.retries.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.order.clear();
  }
}
