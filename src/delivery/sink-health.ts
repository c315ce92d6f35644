import type { Logger } from '../observability/logger.ts';
import type { RequestReport } from './delivery-report.ts';

export type SinkState = 'ok' | 'degraded' | 'failing';

export interface SinkHealthStatus {
  state: SinkState;
  /** Since when the sink has been failing (ISO time). */
  failing_since?: string;
  last_error?: { code: string; message: string; time: string };
}

/** Numeric value of a state for the `log2events_sink_up` gauge: 1 ok, 0.5 degraded, 0 failing. */
export const SINK_UP: Record<SinkState, number> = { ok: 1, degraded: 0.5, failing: 0 };

/**
 * Whether a sink is delivering, judged by its requests: "failing" once a request got nothing
 * through since the last one that did, "degraded" while some entries failed or were throttled
 * within the last interval although others got through, "ok" otherwise. The first failure is
 * logged at warn, then at most one summary per interval while it lasts, and the recovery.
 */
export class SinkHealth {
  private readonly name: string;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private failingSince: number | undefined;
  private lastTroubleAt = -Infinity;
  private lastError: { code: string; message: string; at: number } | undefined;
  /** Failures since the last log line about them. */
  private unreported = { requests: 0, retried: 0, dead_lettered: 0, throttled: 0 };
  private lastSummaryAt = 0;
  private failedRequests = 0;

  constructor(name: string, logger: Logger, intervalMs: number) {
    this.name = name;
    this.logger = logger;
    this.intervalMs = intervalMs;
  }

  state(now = Date.now()): SinkState {
    if (this.failingSince !== undefined) return 'failing';
    return now - this.lastTroubleAt < this.intervalMs ? 'degraded' : 'ok';
  }

  status(now = Date.now()): SinkHealthStatus {
    return {
      state: this.state(now),
      ...(this.failingSince !== undefined ? { failing_since: new Date(this.failingSince).toISOString() } : {}),
      ...(this.lastError
        ? { last_error: { code: this.lastError.code, message: this.lastError.message, time: new Date(this.lastError.at).toISOString() } }
        : {}),
    };
  }

  onRequest(r: RequestReport): void {
    let delivered = 0;
    let retried = 0;
    let dead = 0;
    for (const e of r.entries) {
      if (e.outcome === 'delivered') delivered++;
      else {
        if (e.outcome === 'retry') retried++;
        else dead++;
        this.lastError = { code: e.code, message: e.message, at: r.at };
      }
    }
    const failed = retried + dead;
    if (failed === 0 && !r.throttled) {
      if (delivered > 0) this.recovered(r.at);
      return;
    }
    this.lastTroubleAt = r.at;
    this.unreported.requests += 1;
    this.unreported.retried += retried;
    this.unreported.dead_lettered += dead;
    if (r.throttled) this.unreported.throttled += 1;
    if (delivered > 0) {
      // Some got through: degraded, not failing (a partial batch, throttling with progress).
      if (this.failingSince !== undefined) this.recovered(r.at);
      this.maybeSummarise(r.at, 'sink degraded: some entries failed');
      return;
    }
    this.failedRequests += 1;
    if (this.failingSince === undefined) {
      this.failingSince = r.at;
      this.lastSummaryAt = r.at;
      this.logger.warn('sink failing', { sink: this.name, ...this.errorFields(), retried, dead_lettered: dead, throttled: r.throttled });
      this.resetUnreported();
      return;
    }
    this.maybeSummarise(r.at, 'sink still failing');
  }

  private maybeSummarise(now: number, msg: string): void {
    if (now - this.lastSummaryAt < this.intervalMs) return;
    this.lastSummaryAt = now;
    this.logger.warn(msg, {
      sink: this.name,
      failed_requests: this.unreported.requests,
      retried: this.unreported.retried,
      dead_lettered: this.unreported.dead_lettered,
      throttled_requests: this.unreported.throttled,
      ...this.errorFields(),
      ...(this.failingSince !== undefined ? { failing_for_ms: now - this.failingSince } : {}),
    });
    this.resetUnreported();
  }

  private recovered(now: number): void {
    if (this.failingSince === undefined) return;
    this.logger.info('sink recovered', { sink: this.name, failing_for_ms: now - this.failingSince, failed_requests: this.failedRequests });
    this.failingSince = undefined;
    this.failedRequests = 0;
    this.lastTroubleAt = now;
    this.resetUnreported();
  }

  private errorFields(): { code?: string; message?: string } {
    return this.lastError ? { code: this.lastError.code, message: this.lastError.message } : {};
  }

  private resetUnreported(): void {
    this.unreported = { requests: 0, retried: 0, dead_lettered: 0, throttled: 0 };
  }
}
