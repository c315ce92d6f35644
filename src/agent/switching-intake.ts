import type { Event } from '../model/event.ts';
import type { Checkpoint, CommitOptions, CommitResult, Intake } from '../sources/source.ts';

/** How soon a source retries a commit refused while the delivery engine is being replaced. */
const SWAP_RETRY_AFTER_MS = 50;

/**
 * The intake the sources hold: it forwards to the current delivery engine's intake, so that a
 * reload can replace the engine (new sinks, new spool limits) under running sources. While the
 * engine is swapped, commits are refused as "full" (the source keeps its events and retries,
 * as under backpressure) and `waitForRoom` waits for the new engine: nothing is committed to an
 * engine that is stopping, and nothing is lost in between.
 */
export class SwitchingIntake implements Intake {
  private target: Intake;
  private paused: { promise: Promise<void>; resume: () => void } | undefined;
  private closed = false;

  constructor(target: Intake) {
    this.target = target;
  }

  /** From now on commits are refused until `resume`. */
  pause(): void {
    if (this.paused) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.paused = { promise, resume: resolve };
  }

  /** Commits go to `target` from now on. */
  resume(target: Intake): void {
    this.target = target;
    const p = this.paused;
    this.paused = undefined;
    p?.resume();
  }

  /** The agent stops: every commit is refused for good, waiting sources are released. */
  close(): void {
    this.closed = true;
    this.paused?.resume();
  }

  commit(events: readonly Event[], checkpoints?: readonly Checkpoint[], options?: CommitOptions): CommitResult {
    if (this.closed) return { ok: false, reason: 'closed' };
    if (this.paused) return { ok: false, reason: 'full', retryAfterMs: SWAP_RETRY_AFTER_MS };
    return this.target.commit(events, checkpoints, options);
  }

  secure(): void {
    this.target.secure?.();
  }

  waitForRoom(signal?: AbortSignal): Promise<void> {
    const paused = this.paused;
    if (!paused || this.closed) return this.target.waitForRoom(signal);
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      void paused.promise.then(done);
    });
  }

  checkpoints(source: string): Map<string, string> {
    return this.target.checkpoints(source);
  }

  forgetCheckpoints(source: string, keys: readonly string[]): void {
    this.target.forgetCheckpoints(source, keys);
  }
}
