import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import {
  storeError,
  type DeadLetterMove,
  type RetryUpdate,
  type Settlement,
  type SpoolTotals,
  type StateStore,
} from '../store/state-store.ts';

/** How long a failed write of outcomes waits before it is tried again. */
const RETRY_WRITE_MS = 1000;

/**
 * Group commit for delivery outcomes: every settlement enqueued in one event-loop turn (all
 * sinks' finished requests) is written in one transaction, so a busy agent pays one fsync per
 * turn instead of one per request.
 *
 * A write the store refuses (a full disk, an I/O error) is kept in memory and tried again
 * until it succeeds: an outcome is a fact about what the sink did, and sending the events again
 * to learn it anew would only deliver them again. Callers wait meanwhile (their lanes stop
 * sending once their window is out). After stop() a write is tried once more and then answered
 * false: those entries stay spooled and are sent again at the next start (a duplicate at most).
 */
export class SettleQueue {
  private readonly store: StateStore;
  private readonly logger: Logger;
  private readonly metrics: Metrics | undefined;
  private readonly onFreed: (freed: SpoolTotals) => void;
  private delivered: { seq: number; eventRow: number }[] = [];
  private retried: RetryUpdate[] = [];
  private dead: DeadLetterMove[] = [];
  private waiters: ((ok: boolean) => void)[] = [];
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private stopped = false;

  constructor(store: StateStore, logger: Logger, onFreed: (freed: SpoolTotals) => void, metrics?: Metrics) {
    this.store = store;
    this.logger = logger;
    this.metrics = metrics;
    this.onFreed = onFreed;
  }

  enqueue(s: Settlement): Promise<boolean> {
    for (const d of s.delivered) this.delivered.push(d);
    for (const r of s.retried) this.retried.push(r);
    for (const d of s.dead) this.dead.push(d);
    const done = new Promise<boolean>((resolve) => this.waiters.push(resolve));
    // While a failed write waits for its retry, new outcomes join it.
    if (!this.scheduled && !this.retryTimer) {
      this.scheduled = true;
      setImmediate(() => this.write());
    }
    return done;
  }

  /** Outcomes kept in memory because the store refused them. */
  get waiting(): number {
    return this.failing ? this.delivered.length + this.retried.length + this.dead.length : 0;
  }

  /** Tries what is kept once more now; from here on a refused write is answered false. */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.write();
    }
  }

  private write(): void {
    this.scheduled = false;
    this.retryTimer = undefined;
    if (this.waiters.length === 0) return;
    const batch: Settlement = { delivered: this.delivered, retried: this.retried, dead: this.dead };
    if (!this.store.isOpen) {
      this.answer(false);
      return;
    }
    try {
      const freed = this.store.settle(batch, Date.now());
      if (this.failing) this.logger.info('delivery outcomes written to the state store again', { file: this.store.file });
      this.failing = false;
      this.answer(true);
      if (freed.events > 0) this.onFreed(freed);
    } catch (err) {
      this.metrics?.inc(
        'log2events_settle_errors_total',
        'Writes of delivery outcomes the state store refused (kept in memory and retried)',
      );
      if (!this.failing) {
        this.logger.error('cannot record delivery outcomes in the state store; keeping them in memory and retrying', {
          error: storeError(this.store.file, err),
        });
      }
      this.failing = true;
      if (this.stopped) {
        this.answer(false);
        return;
      }
      this.retryTimer = setTimeout(() => this.write(), RETRY_WRITE_MS);
    }
  }

  private answer(ok: boolean): void {
    const waiters = this.waiters;
    this.delivered = [];
    this.retried = [];
    this.dead = [];
    this.waiters = [];
    for (const w of waiters) w(ok);
  }
}
