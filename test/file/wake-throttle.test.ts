import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WakeThrottle } from '../../src/sources/file/wake-throttle.ts';

describe('WakeThrottle: file-system events coalesced into wake-ups', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes one call for a burst of signals, on the next timer turn after a quiet spell', () => {
    const fn = vi.fn();
    const t = new WakeThrottle(fn, 15);
    for (let i = 0; i < 500; i++) t.signal();
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('calls at most once per gap however many signals come, and not before the gap has passed', () => {
    const fn = vi.fn();
    const t = new WakeThrottle(fn, 15);
    t.signal();
    vi.advanceTimersByTime(0);
    expect(fn).toHaveBeenCalledTimes(1);
    // A signal every ms for 150 ms (a writer appending every ms): one call per 15 ms gap.
    for (let ms = 0; ms < 150; ms++) {
      t.signal();
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(15);
    expect(fn.mock.calls.length).toBeGreaterThanOrEqual(10);
    expect(fn.mock.calls.length).toBeLessThanOrEqual(11);
  });

  it('signals later than the gap after a call are taken at once', () => {
    const fn = vi.fn();
    const t = new WakeThrottle(fn, 15);
    t.signal();
    vi.advanceTimersByTime(0);
    vi.advanceTimersByTime(100);
    t.signal();
    vi.advanceTimersByTime(0);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('a signal within the gap waits for its end: no call before it', () => {
    const fn = vi.fn();
    const t = new WakeThrottle(fn, 15);
    t.signal();
    vi.advanceTimersByTime(0);
    vi.advanceTimersByTime(5);
    t.signal();
    vi.advanceTimersByTime(9);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('holds no timer while no signal comes, and cancel drops a pending call', () => {
    const fn = vi.fn();
    const t = new WakeThrottle(fn, 15);
    expect(vi.getTimerCount()).toBe(0);
    t.signal();
    expect(vi.getTimerCount()).toBe(1);
    t.cancel();
    vi.advanceTimersByTime(100);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
