import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from '../../src/delivery/adaptive-concurrency.ts';
import { RetryPolicy } from '../../src/delivery/retry-policy.ts';
import { seededRandom } from '../../src/emulator/faults.ts';
import { parseRetryAfter } from '../../src/sinks/retry-after.ts';

const opts = { initial: 100, max: 1000, multiplier: 2, max_elapsed: 60_000 };

describe('RetryPolicy', () => {
  it('grows the ceiling exponentially up to max', () => {
    const p = new RetryPolicy(opts);
    expect([1, 2, 3, 4, 5, 10].map((a) => p.ceiling(a))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters fully between 0 and the ceiling', () => {
    expect(new RetryPolicy(opts, () => 0).delay(3)).toBe(0);
    expect(new RetryPolicy(opts, () => 0.5).delay(3)).toBe(200);
    expect(new RetryPolicy(opts, () => 0.999999).delay(3)).toBe(399);
  });

  it('never waits less than the provider asked', () => {
    expect(new RetryPolicy(opts, () => 0).delay(1, 2000)).toBe(2000);
    expect(new RetryPolicy(opts, () => 0.5).delay(4, 10)).toBe(400);
  });

  it("jitters above the provider's wait too, by at most a quarter of the ceiling or of that wait (seeded)", () => {
    const seed = Number(process.env.L2E_TEST_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const p = new RetryPolicy(opts, random);
    const spread = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const attempts = 1 + (i % 6);
      const retryAfter = [0, 10, 250, 1000, 2000][i % 5]!;
      const d = p.delay(attempts, retryAfter);
      const why = `seed ${seed} (replay with L2E_TEST_SEED=${seed}), attempts ${attempts}, retry-after ${retryAfter}`;
      expect(d, why).toBeGreaterThanOrEqual(retryAfter);
      expect(d, why).toBeLessThanOrEqual(Math.max(p.ceiling(attempts), retryAfter + Math.min(p.ceiling(attempts), retryAfter) / 4));
      if (retryAfter === 1000 && attempts === 4) spread.add(d);
    }
    // Clients told the same whole second do not all come back at the same millisecond.
    expect(spread.size, `seed ${seed}`).toBeGreaterThan(5);
  });

  it('expires an entry max_elapsed after its first attempt', () => {
    const p = new RetryPolicy(opts);
    expect(p.expired(1000, 60_999)).toBe(false);
    expect(p.expired(1000, 61_000)).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });
  it('reads an HTTP date, relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('reads milliseconds for provider headers that use them', () => {
    expect(parseRetryAfter('250', now, 'ms')).toBe(250);
  });
  it('ignores absent or unparseable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('AdaptiveConcurrency', () => {
  const ok = (startedAt = Date.now(), latencyMs = 10) => ({ startedAt, latencyMs, throttled: false });
  it('adds one after a window of successes, up to max', () => {
    const c = new AdaptiveConcurrency({ min: 1, max: 3, initial: 1 });
    c.onResult(ok());
    expect(c.current).toBe(2);
    c.onResult(ok());
    expect(c.current).toBe(2);
    c.onResult(ok());
    expect(c.current).toBe(3);
    for (let i = 0; i < 10; i++) c.onResult(ok());
    expect(c.current).toBe(3);
  });
  it('halves on throttling, once per round of requests, down to min', () => {
    const c = new AdaptiveConcurrency({ min: 2, max: 16, initial: 16 });
    const before = Date.now() - 1000;
    c.onResult({ startedAt: before, latencyMs: 10, throttled: true });
    expect(c.current).toBe(8);
    // Another request of the same round reports the same throttling: no second cut.
    c.onResult({ startedAt: before, latencyMs: 10, throttled: true });
    expect(c.current).toBe(8);
    for (const n of [4, 2, 2]) {
      c.onResult({ startedAt: Date.now() + 1, latencyMs: 10, throttled: true });
      expect(c.current).toBe(n);
    }
  });
  it('halves when latency rises well above its baseline', () => {
    const c = new AdaptiveConcurrency({ min: 1, max: 16, initial: 8 });
    for (let i = 0; i < 8; i++) c.onResult(ok(Date.now(), 10));
    const grown = c.current;
    for (let i = 0; i < 5 && c.current >= grown; i++) c.onResult(ok(Date.now() + 1, 500));
    expect(c.current).toBeLessThan(grown);
  });

  it('does not shrink for latency that merely jitters', () => {
    const c = new AdaptiveConcurrency({ min: 1, max: 16, initial: 16 });
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) c.onResult(ok(Date.now() + 1, 50 + random() * 250));
    expect(c.current).toBe(16);
  });
});
