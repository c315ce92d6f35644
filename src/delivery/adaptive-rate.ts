/**
 * Pacing by request rate for a sink whose provider throttles. Concurrency alone does not pace:
 * with fast answers one request in flight can exceed a provider's quota many times over, and
 * agents that share a quota then take it in proportion to how fast they can send, not fairly.
 *
 * AIMD on requests per second: unpaced until the provider first throttles; then the rate drops
 * to a fraction of what the sink was sending (multiplicative decrease, once per round of
 * requests) and grows by a fixed step per second while requests are accepted (additive
 * increase). Agents sharing a quota each see throttling roughly in proportion to their rate, so
 * the larger shares shrink more and all converge towards equal shares while their sum stays near
 * the quota. The step doubles while no throttling comes (to find a raised quota quickly) and the
 * pacing ends when the rate is well above what the sink actually sends. Gaps between requests are
 * jittered so that agents do not fall into step with each other.
 *
 * Pure bookkeeping: every method takes the time, so tests drive it without timers.
 */
export interface RatePacer {
  /** Earliest time (ms) the next request may leave. */
  nextAt(): number;
  /** A request left at `now`. */
  onSend(now: number): void;
  /** A request that left at `startedAt` got its answer at `now`. */
  onResult(r: { startedAt: number; now: number; throttled: boolean }): void;
  /** Requests per second while paced, else undefined. */
  readonly rate: number | undefined;
}

export interface AdaptiveRateOptions {
  /** Lowest rate (requests/s) a decrease goes to. */
  min: number;
  /** Multiplicative decrease: the rate after throttling is this fraction of the rate before. */
  decrease: number;
  /** Additive increase: requests/s added per second of accepted requests. */
  step: number;
  /** Gaps between requests are spread uniformly by ± this fraction. */
  jitter: number;
  /** The additive step doubles after each this many seconds without throttling. */
  calmSeconds: number;
  /** At most one decrease per this many gaps at the current rate. */
  cutGaps: number;
  random: () => number;
}

export const ADAPTIVE_RATE_DEFAULTS: AdaptiveRateOptions = {
  min: 0.2,
  decrease: 0.85,
  step: 0.5,
  jitter: 0.5,
  calmSeconds: 3,
  cutGaps: 4,
  random: Math.random,
};

/** Send times kept to measure the recent sending rate. */
const HISTORY = 64;
/** Fewest sends within MEASURE_MS to measure a rate from. */
const MIN_SAMPLES = 4;
/** The rate is measured over at most this long. */
const MEASURE_MS = 2000;
/** Pacing ends when its rate exceeds the measured sending rate this many times (it no longer binds). */
const UNPACE_FACTOR = 4;
/** The additive step doubles at most this many times. */
const MAX_DOUBLINGS = 6;

export class AdaptiveRate implements RatePacer {
  private readonly o: AdaptiveRateOptions;
  private current: number | undefined;
  private next = -Infinity;
  private readonly sends: number[] = [];
  private lastDecreaseAt = -Infinity;
  private lastThrottledAt = -Infinity;
  private grownAt = -Infinity;

  constructor(options: Partial<AdaptiveRateOptions> = {}) {
    this.o = { ...ADAPTIVE_RATE_DEFAULTS, ...options };
  }

  get rate(): number | undefined {
    return this.current;
  }

  nextAt(): number {
    return this.current === undefined ? -Infinity : this.next;
  }

  onSend(now: number): void {
    this.sends.push(now);
    if (this.sends.length > HISTORY) this.sends.shift();
    if (this.current === undefined) return;
    const gap = (1000 / this.current) * (1 + this.o.jitter * (2 * this.o.random() - 1));
    // Late timers do not slow the pace (the schedule keeps its slots), but a sink that fell idle
    // banks at most half a gap.
    this.next = Math.max(this.next + gap, now + gap / 2);
  }

  onResult(r: { startedAt: number; now: number; throttled: boolean }): void {
    if (r.throttled) {
      this.lastThrottledAt = r.now;
      this.grownAt = r.now;
      // One decrease per round: answers to requests sent before the last decrease say nothing new.
      // ... and at most one per `cutGaps` gaps: falling from a burst, agents that are throttled
      // on every request would otherwise drop far apart, and their shares take long to meet.
      if (r.startedAt < this.lastDecreaseAt) return;
      if (this.current !== undefined && r.now - this.lastDecreaseAt < (this.o.cutGaps * 1000) / this.current) return;
      // Unpaced, the sink's recent sending rate is where the decrease starts. Paced, its own rate
      // (what it sent lately also reflects pauses the provider asked for).
      const base = this.current ?? this.measured(r.now);
      // Throttled with hardly a request sent lately: too little to measure a rate from; the
      // provider's Retry-After alone holds the sink back.
      if (base === undefined) return;
      if (this.current === undefined) this.next = r.now;
      this.current = Math.max(this.o.min, base * this.o.decrease);
      this.lastDecreaseAt = r.now;
      return;
    }
    if (this.current === undefined) return;
    // Growth by time, not by count of answers: a sink paced slowly grows as fast as a quick one,
    // which is what lets their shares meet. Time without answers (a pause, an idle sink) counts
    // for at most a second.
    const seconds = Math.min(1000, Math.max(0, r.now - this.grownAt)) / 1000;
    this.grownAt = r.now;
    const doublings = Math.min(MAX_DOUBLINGS, Math.floor((r.now - this.lastThrottledAt) / 1000 / this.o.calmSeconds));
    this.current += this.o.step * 2 ** doublings * seconds;
    // Too few sends to measure means fewer than MIN_SAMPLES per MEASURE_MS.
    const sending = this.measured(r.now) ?? (MIN_SAMPLES * 1000) / MEASURE_MS;
    if (this.current > sending * UNPACE_FACTOR) this.current = undefined;
  }

  /**
   * Requests per second sent recently: the last sends (at most HISTORY, within MEASURE_MS) over
   * the time they took. Undefined with fewer than MIN_SAMPLES of them.
   */
  private measured(now: number): number | undefined {
    const from = now - MEASURE_MS;
    let i = 0;
    while (i < this.sends.length && (this.sends[i] ?? from) < from) i++;
    const n = this.sends.length - i;
    const oldest = this.sends[i];
    if (n < MIN_SAMPLES || oldest === undefined) return undefined;
    return (n * 1000) / Math.max(now - oldest, 1);
  }
}

/** No pacing: requests leave as concurrency and `rate_limit` allow. */
export class Unpaced implements RatePacer {
  readonly rate = undefined;
  nextAt(): number {
    return -Infinity;
  }
  onSend(): void {}
  onResult(): void {}
}
