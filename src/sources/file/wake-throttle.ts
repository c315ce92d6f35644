/**
 * Turns a stream of signals (one per file-system event: a busy file raises one per write) into
 * at most one call of `fn` per `gapMs`. The first signal after a quiet spell calls on the next
 * timer turn (the rest of its burst is taken in by the same call); signals within `gapMs` of the
 * last call wait for the gap to end, and any number of them make one call. No timer is held
 * while no signal comes.
 */
export class WakeThrottle {
  private readonly fn: () => void;
  private readonly gapMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastCall = Number.NEGATIVE_INFINITY;

  constructor(fn: () => void, gapMs: number) {
    this.fn = fn;
    this.gapMs = gapMs;
  }

  signal(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastCall + this.gapMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastCall = Date.now();
      this.fn();
    }, wait);
    // A pending wake never keeps the process alive on its own.
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
