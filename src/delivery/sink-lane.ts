import PQueue from 'p-queue';
import type { Event } from '../model/event.ts';
import type { Logger } from '../observability/logger.ts';
import { SIZE_BUCKETS, type Metrics } from '../observability/metrics.ts';
import { REDIRECT_NOT_FOLLOWED } from '../sinks/http-call.ts';
import { type SendResult, type Sink, type SinkLimits, UNRECOGNISED_ANSWER } from '../sinks/sink.ts';
import type { DeadLetterMove, RetryUpdate, StateStore } from '../store/state-store.ts';
import { ActionOrder } from './action-order.ts';
import { planSettlement, retryable } from './settlement-plan.ts';
import { sendWithDeadline } from './send-with-deadline.ts';
import { MIN_WINDOW, SpoolWindow } from './spool-window.ts';
import type { AckTracker, SpoolRow, Ticket } from './ack-tracker.ts';
import { Batcher } from './batcher.ts';
import { AdaptiveConcurrency, FixedConcurrency, type ConcurrencyLimit } from './adaptive-concurrency.ts';
import { AdaptiveRate, type RatePacer } from './adaptive-rate.ts';
import type { SinkCommonOptions } from '../sinks/common-options.ts';
import { RetryPolicy } from './retry-policy.ts';
import { RetrySchedule } from './retry-schedule.ts';
import type { SettleQueue } from './settle-queue.ts';
import type { DeliveryObserver, EntryReport } from './delivery-report.ts';

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
function spooled(entry: HeldEntry, row: SpoolRow): SpooledEntry {
  const { event, size, attempts, firstAttempt, readyAt } = entry;
  return { kind: 'spooled', seq: row.seq, eventRow: row.eventRow, event, size, attempts, firstAttempt, readyAt };
}

export interface LaneDeps {
  name: string;
  sink: Sink;
  options: SinkCommonOptions;
  store: StateStore;
  logger: Logger;
  metrics: Metrics;
  /** Writes outcomes to the store (grouped with other lanes' into one transaction). */
  settler: SettleQueue;
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
    this.track(this.settle([], [], [this.deadMove(dead, code, message, null)]).then((ok) => ok && this.window.settled(dead.seq)));
  }

  private fill(): void {
    if (this.state !== 'running') return;
    this.window.fill(
      (entry) => this.push(entry),
      (move) => this.track(this.settle([], [], [move])),
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

  private async onSent(batch: LaneEntry[], result: SendResult, startedAt: number): Promise<void> {
    const now = Date.now();
    this.concurrency.onResult({ startedAt, latencyMs: now - startedAt, throttled: result.throttled });
    this.pacer.onResult({ startedAt, now, throttled: result.throttled });
    this.queue.concurrency = this.concurrency.current;
    this.metrics.set('log2events_sink_concurrency', 'Requests a sink may have in flight', this.labels, this.concurrency.current);
    this.metrics.observe(
      'log2events_sink_request_duration_seconds',
      'Time from sending a request to its answer, per sink',
      this.labels,
      (now - startedAt) / 1000,
    );
    this.metrics.observe('log2events_sink_batch_entries', 'Entries per request, per sink', this.labels, batch.length, SIZE_BUCKETS);
    if (result.throttled) this.metrics.inc('log2events_throttled_total', 'Requests a sink answered with throttling', this.labels);

    const plan = planSettlement(batch, result, this.policy, now, startedAt);
    if (plan.pauseUntil !== undefined) this.pausedUntil = Math.max(this.pausedUntil, plan.pauseUntil);
    // Held entries report to the tracker: a delivered one acks its ticket (its commit's
    // checkpoint waits for it; nothing to remove from the spool), one that did not get through
    // nacks it, which spools its commit: retry state and dead letters live in rows. Held
    // entries whose commit was spooled meanwhile are settled as the spooled entries they are.
    // The spooled entry each planned one is settled as in the store; none for a held entry
    // acked in memory or one the store refused to spool (kept held, retried from memory).
    const rows: (SpooledEntry | undefined)[] = new Array(plan.entries.length);
    let nacked: { i: number; held: HeldEntry }[] | undefined;
    let ackedHeld = 0;
    const planned = plan.entries;
    // Indexed loops: this runs for every entry delivered, and entries() iterators cost here.
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i];
      if (p === undefined) continue;
      const { entry } = p;
      entry.attempts = p.attempts;
      entry.firstAttempt = p.firstAttempt;
      if (entry.kind === 'spooled') {
        rows[i] = entry;
      } else if (p.fate.kind === 'delivered') {
        const row = this.deps.tracker.ack(entry.ticket);
        if (row) rows[i] = spooled(entry, row);
        else ackedHeld += 1;
      } else {
        (nacked ??= []).push({ i, held: entry });
      }
    }
    if (nacked) {
      const secured = this.deps.tracker.nack(nacked.map((n) => n.held.ticket));
      for (const [k, { i, held }] of nacked.entries()) {
        const row = secured?.[k];
        if (row) rows[i] = spooled(held, row);
      }
    }

    const delivered: SpooledEntry[] = [];
    const retried: { entry: SpooledEntry; update: RetryUpdate; at: number }[] = [];
    const dead: DeadLetterMove[] = [];
    const deadEntries: SpooledEntry[] = [];
    const reports: EntryReport[] | undefined = this.deps.observer ? [] : undefined;
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i];
      if (p === undefined) continue;
      const { entry, fate, firstAttempt } = p;
      const s = rows[i];
      if (fate.kind === 'delivered') {
        reports?.push({ event: entry.event, outcome: 'delivered' });
        if (s) delivered.push(s);
        else this.release(entry); // acked while held
        continue;
      }
      reports?.push({
        event: entry.event,
        outcome: s === undefined || fate.kind === 'retry' ? 'retry' : 'dead_letter',
        code: fate.code,
        message: fate.message,
      });
      if (!s) {
        // Held still: the store refused to spool it.
        if (this.state === 'running') this.retries.add(now + this.policy.delay(entry.attempts), entry);
      } else if (fate.kind === 'dead') {
        deadEntries.push(s);
        dead.push(this.deadMove(s, fate.code, fate.message, startedAt));
      } else {
        retried.push({
          entry: s,
          at: fate.at,
          update: {
            seq: s.seq,
            attempts: s.attempts,
            firstAttempt,
            lastAttempt: startedAt,
            code: fate.code,
            message: fate.message,
          },
        });
      }
    }

    if (reports)
      this.deps.observer?.onRequest({
        sink: this.name,
        entries: reports,
        throttled: result.throttled,
        latencyMs: now - startedAt,
        at: now,
      });
    if (ackedHeld) this.metrics.inc('log2events_delivered_total', 'Events a sink accepted', this.labels, ackedHeld);
    if (delivered.length === 0 && retried.length === 0 && dead.length === 0) return;
    const ok = await this.settle(
      delivered,
      retried.map((r) => r.update),
      dead,
    );
    if (!ok) {
      // The store refused the write: keep these entries for another attempt, so nothing leaves
      // memory without its outcome recorded (a delivered one may be sent twice).
      if (this.state === 'running') {
        for (const entry of [...delivered, ...deadEntries, ...retried.map((r) => r.entry)])
          this.retries.add(now + this.policy.delay(entry.attempts), entry);
      }
      return;
    }
    for (const e of delivered) this.release(e);
    for (const d of deadEntries) this.release(d);
    for (const e of delivered) this.window.settled(e.seq);
    for (const e of deadEntries) this.window.settled(e.seq);
    if (delivered.length) this.metrics.inc('log2events_delivered_total', 'Events a sink accepted', this.labels, delivered.length);
    const first = retried[0]?.update;
    if (first) {
      this.metrics.inc('log2events_retries_total', 'Entries scheduled for another attempt', this.labels, retried.length);
      // An answer that is no acceptance, or a redirect, points at a wrong endpoint or a proxy in the way: say so.
      const level = first.code === UNRECOGNISED_ANSWER || first.code === REDIRECT_NOT_FOLLOWED ? 'warn' : 'debug';
      this.logger[level]('retrying entries', { count: retried.length, code: first.code, message: first.message });
    }
    if (this.state === 'running') for (const r of retried) this.retries.add(r.at, r.entry);
  }

  private deadMove(entry: SpooledEntry, code: string, message: string, lastAttempt: number | null): DeadLetterMove {
    return {
      seq: entry.seq,
      eventRow: entry.eventRow,
      sink: this.name,
      code,
      message,
      attempts: entry.attempts,
      firstAttempt: entry.firstAttempt,
      lastAttempt,
    };
  }

  /** Writes outcomes to the store; false when the store failed (logged by the queue). */
  private async settle(
    delivered: readonly SpooledEntry[],
    retried: readonly RetryUpdate[],
    dead: readonly DeadLetterMove[],
  ): Promise<boolean> {
    const ok = await this.deps.settler.enqueue({ delivered, retried, dead });
    const first = dead[0];
    if (ok && first) {
      this.metrics.inc('log2events_dead_letters_total', 'Events moved to dead letters', this.labels, dead.length);
      // One line per request, not per event: a sink with wrong credentials refuses every batch.
      this.logger.warn('events moved to dead letters', {
        count: dead.length,
        code: first.code,
        message: first.message,
        attempts: first.attempts,
      });
    }
    return ok;
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
