/**
 * How many requests a sink may have in flight. Fixed, or adaptive: AIMD — one more after a
 * window of successes, half on throttling or when latency rises well above its baseline.
 */
export interface ConcurrencyLimit {
  readonly current: number;
  /** The most `current` can ever be. */
  readonly max: number;
  /** A request that started at `startedAt` finished after `latencyMs`. */
  onResult(r: { startedAt: number; latencyMs: number; throttled: boolean }): void;
}

export class FixedConcurrency implements ConcurrencyLimit {
  readonly current: number;
  readonly max: number;
  constructor(n: number) {
    this.current = n;
    this.max = n;
  }
  onResult(): void {}
}

export interface AdaptiveBounds {
  min: number;
  max: number;
  initial: number;
}

/** Latency counts as rising when the recent average exceeds the baseline by this factor. */
const LATENCY_RISE = 2;
/** ...and by at least this much, so that jitter on sub-millisecond loopback calls is ignored. */
const LATENCY_RISE_MIN_MS = 20;

export class AdaptiveConcurrency implements ConcurrencyLimit {
  private limit: number;
  private readonly bounds: AdaptiveBounds;
  private successes = 0;
  /** Requests that started before the last decrease do not trigger another one. */
  private lastDecreaseAt = -Infinity;
  private recent: number | undefined;
  private baseline: number | undefined;

  constructor(bounds: AdaptiveBounds) {
    this.bounds = bounds;
    this.limit = clamp(bounds.initial, bounds.min, bounds.max);
  }

  get max(): number {
    return this.bounds.max;
  }

  get current(): number {
    return this.limit;
  }

  onResult(r: { startedAt: number; latencyMs: number; throttled: boolean }): void {
    const rising = this.observeLatency(r.latencyMs);
    if (r.throttled || rising) {
      if (r.startedAt < this.lastDecreaseAt) return;
      this.limit = Math.max(this.bounds.min, Math.floor(this.limit / 2));
      this.successes = 0;
      this.lastDecreaseAt = Date.now();
      // Latency recovers at the lower concurrency; start judging it afresh.
      if (rising) this.recent = this.baseline;
      return;
    }
    this.successes += 1;
    if (this.successes >= this.limit) {
      this.successes = 0;
      this.limit = Math.min(this.bounds.max, this.limit + 1);
    }
  }

  private observeLatency(ms: number): boolean {
    if (this.recent === undefined || this.baseline === undefined) {
      this.recent = ms;
      this.baseline = ms;
      return false;
    }
    // Both are plain averages, fast and slow: a provider whose latency merely jitters (50-300 ms)
    // keeps them close; only a sustained rise pulls the fast one away from the slow one.
    this.recent = this.recent * 0.7 + ms * 0.3;
    this.baseline = this.baseline * 0.98 + ms * 0.02;
    return this.recent > this.baseline * LATENCY_RISE && this.recent - this.baseline > LATENCY_RISE_MIN_MS;
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
