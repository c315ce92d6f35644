import type { Logger } from '../observability/logger.ts';
import type { DeadLetterMove, RetryUpdate, Settlement, SpoolTotals, StateStore } from '../store/state-store.ts';

/**
 * Group commit for delivery outcomes: every settlement enqueued in one event-loop turn (all
 * sinks' finished requests) is written in one transaction, so a busy agent pays one fsync per
 * turn instead of one per request. Resolves each caller with whether the write succeeded.
 */
export class SettleQueue {
  private readonly store: StateStore;
  private readonly logger: Logger;
  private readonly onFreed: (freed: SpoolTotals) => void;
  private delivered: { seq: number; eventRow: number }[] = [];
  private retried: RetryUpdate[] = [];
  private dead: DeadLetterMove[] = [];
  private waiters: ((ok: boolean) => void)[] = [];
  private scheduled = false;

  constructor(store: StateStore, logger: Logger, onFreed: (freed: SpoolTotals) => void) {
    this.store = store;
    this.logger = logger;
    this.onFreed = onFreed;
  }

  enqueue(s: Settlement): Promise<boolean> {
    for (const d of s.delivered) this.delivered.push(d);
    for (const r of s.retried) this.retried.push(r);
    for (const d of s.dead) this.dead.push(d);
    const done = new Promise<boolean>((resolve) => this.waiters.push(resolve));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.write());
    }
    return done;
  }

  private write(): void {
    this.scheduled = false;
    const batch: Settlement = { delivered: this.delivered, retried: this.retried, dead: this.dead };
    const waiters = this.waiters;
    this.delivered = [];
    this.retried = [];
    this.dead = [];
    this.waiters = [];
    let ok = true;
    try {
      const freed = this.store.settle(batch, Date.now());
      if (freed.events > 0) this.onFreed(freed);
    } catch (err) {
      ok = false;
      this.logger.error('cannot record delivery outcomes in the state store', { error: err as Error });
    }
    for (const w of waiters) w(ok);
  }
}
