import type { RetryOptions } from '../sinks/common-options.ts';

/**
 * The one retry policy every sink shares: exponential backoff with full jitter, a provider's
 * Retry-After as a floor, and a deadline (`max_elapsed`) after which an entry is dead.
 */
export class RetryPolicy {
  private readonly opts: RetryOptions;
  private readonly random: () => number;

  constructor(opts: RetryOptions, random: () => number = Math.random) {
    this.opts = opts;
    this.random = random;
  }

  /** How long after its first attempt an entry is given up, in ms. */
  get maxElapsed(): number {
    return this.opts.max_elapsed;
  }

  /** Upper bound of the delay before attempt `attempts + 1`, given `attempts` failures so far. */
  ceiling(attempts: number): number {
    const exp = this.opts.initial * this.opts.multiplier ** Math.max(0, attempts - 1);
    return Math.min(this.opts.max, exp);
  }

  /**
   * Full jitter: uniform in [0, ceiling]; never below what the provider asked for. Above that
   * floor a little jitter too (up to a quarter of the ceiling or of the wait asked for), so that
   * clients sharing a quota and told the same whole second do not all come back at once.
   */
  delay(attempts: number, retryAfterMs?: number): number {
    const r = this.random();
    const ceiling = this.ceiling(attempts);
    const jittered = Math.floor(r * ceiling);
    if (retryAfterMs === undefined) return jittered;
    return Math.max(jittered, retryAfterMs + Math.floor((r * Math.min(ceiling, retryAfterMs)) / 4));
  }

  /**
   * The delay after a throttling answer that said how long to wait: that wait plus up to a
   * quarter more (jitter), whatever the attempt. The rate pacer (adaptive-rate.ts) is what slows
   * a throttled sink down; growing the delay with each attempt on top of it left entries of a
   * sink throttled a few times idle for seconds after the quota had freed up.
   */
  throttledDelay(retryAfterMs: number): number {
    return retryAfterMs + Math.floor((this.random() * retryAfterMs) / 4);
  }

  /** True when an entry first tried at `firstAttempt` has used up its time. */
  expired(firstAttempt: number, now: number): boolean {
    return now - firstAttempt >= this.opts.max_elapsed;
  }
}
