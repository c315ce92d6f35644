import type { RetryOptions } from './options.ts';

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

  /** Upper bound of the delay before attempt `attempts + 1`, given `attempts` failures so far. */
  ceiling(attempts: number): number {
    const exp = this.opts.initial * Math.pow(this.opts.multiplier, Math.max(0, attempts - 1));
    return Math.min(this.opts.max, exp);
  }

  /** Full jitter: uniform in [0, ceiling]; never below what the provider asked for. */
  delay(attempts: number, retryAfterMs?: number): number {
    const jittered = Math.floor(this.random() * this.ceiling(attempts));
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  /** True when an entry first tried at `firstAttempt` has used up its time. */
  expired(firstAttempt: number, now: number): boolean {
    return now - firstAttempt >= this.opts.max_elapsed;
  }
}

/**
 * Parses a Retry-After value into milliseconds from `now`: delay-seconds (`120`, also `1.5`) or
 * an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`). `unit: 'ms'` reads a bare number as
 * milliseconds, for provider headers that use them. Undefined when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
  unit: 's' | 'ms' = 's',
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return Math.ceil(unit === 's' ? n * 1000 : n);
  }
  // An HTTP date names its month; anything else that Date.parse might accept ("-5") is not one.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
