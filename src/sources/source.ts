import type { Event } from '../model/event.ts';
import type { LogRecord } from '../model/log-record.ts';
import type { Logger } from '../observability/logger.ts';

/** A source's position, committed together with the events derived from what precedes it. */
export interface Checkpoint {
  /** Source name from the config. */
  source: string;
  /** What the position is of, within the source (a file fingerprint, say). */
  key: string;
  /** Opaque to the store: the source serialises its own position. */
  value: string;
}

export type CommitResult =
  | { ok: true }
  /** The spool is full under the `block` policy; retry after `retryAfterMs`. */
  | { ok: false; reason: 'full'; retryAfterMs: number }
  | { ok: false; reason: 'closed' };

export interface CommitOptions {
  /**
   * The source can read these events again from behind the checkpoints it commits before them
   * (a file). The intake may then deliver them from memory and write the checkpoints once they
   * are delivered, spooling them only if that takes long (see delivery/ack-tracker.ts).
   */
  replayable?: boolean;
  /**
   * When the source learned that these events exist (ms since the epoch): for a file, the
   * write event that woke it, before the stat and read that found them. The sink's `linger`
   * counts from here, so the wait for the read does not add to an event's latency. Default: now.
   */
  noticedAt?: number;
}

/**
 * The one door into the spool. `commit` makes the events and the checkpoint durable in one
 * transaction, so that a crash at any instant neither loses nor doubles the hand-off. A
 * replayable commit may be held in memory instead, its checkpoints written after the commits
 * before it, once its events are delivered or spooled.
 */
export interface Intake {
  commit(events: readonly Event[], checkpoints?: readonly Checkpoint[], options?: CommitOptions): CommitResult;
  /**
   * Makes every held commit durable now: a replayable source calls it when what it committed may
   * not be readable again (its file was rotated, truncated or went away).
   */
  secure?(): void;
  /** Resolves once there is room again (or at once when there is). */
  waitForRoom(signal?: AbortSignal): Promise<void>;
  /** Checkpoints stored for a source (the file source reads them at start). */
  checkpoints(source: string): Map<string, string>;
  /** Drops checkpoints the source no longer needs (files gone for good). */
  forgetCheckpoints(source: string, keys: readonly string[]): void;
}

/** Turns records into events through the rules (synchronous: no I/O). */
export interface RecordProcessor {
  process(record: LogRecord, sourceName: string): Event[];
  /**
   * The literals a line from this source must contain (any one of them) to match any rule, so
   * a tailer can skip text that contains none without decoding it. `null` when some rule that
   * applies to the source has no required literal (then every record must be processed).
   * An empty array means no rule applies to the source at all.
   */
  literalsFor(sourceName: string): readonly string[] | null;
}

export interface SourceContext {
  processor: RecordProcessor;
  intake: Intake;
  logger: Logger;
  /** Aborted when the agent stops taking input (SIGTERM). */
  signal: AbortSignal;
}

export interface Source {
  readonly name: string;
  readonly type: string;
  start(ctx: SourceContext): Promise<void>;
  /** Stops intake; resolves when nothing more will be committed. */
  stop(): Promise<void>;
  /**
   * Optional: resolves once the source has committed all input that was available (stdin: end of
   * stream; files: every matched file read to its end). `run --once` waits for it.
   */
  drained?(): Promise<void>;
}
