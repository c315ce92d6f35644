/**
 * Per-rule throttling: at most `max` events per key per window; the rest are counted, and the
 * count rides along on the next event that passes for that key (attribute `suppressed_count`).
 */
export interface ThrottleDecision {
  pass: boolean;
  /** Matches suppressed since the last event that passed, reported on this one. */
  suppressed: number;
}

interface Window {
  start: number;
  count: number;
  suppressed: number;
}

export class Throttle {
  private readonly windows = new Map<string, Window>();
  private readonly windowMs: number;
  private readonly max: number;
  private readonly now: () => number;
  /** Total suppressed matches, for metrics. */
  suppressedTotal = 0;

  constructor(windowMs: number, max: number, now: () => number = Date.now) {
    this.windowMs = windowMs;
    this.max = max;
    this.now = now;
  }

  check(key: string): ThrottleDecision {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      const carried = w?.suppressed ?? 0;
      w = { start: now, count: 0, suppressed: carried };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) this.prune(now);
    }
    if (w.count < this.max) {
      w.count++;
      const suppressed = w.suppressed;
      w.suppressed = 0;
      return { pass: true, suppressed };
    }
    w.suppressed++;
    this.suppressedTotal++;
    return { pass: false, suppressed: 0 };
  }

  /** Keys whose window ended and that have nothing left to report are forgotten. */
  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs && w.suppressed === 0) this.windows.delete(k);
  }
}
