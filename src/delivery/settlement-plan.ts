import type { EntryOutcome, SendResult } from '../sinks/sink.ts';
import type { RetryPolicy } from './retry-policy.ts';

/** What the plan needs of an entry: the attempts made before this request. */
export interface Attempted {
  attempts: number;
  firstAttempt: number | null;
}

/** What becomes of one entry of a request. */
export type Fate =
  | { kind: 'delivered' }
  | { kind: 'retry'; code: string; message: string; at: number }
  | { kind: 'dead'; code: string; message: string };

export interface PlannedEntry<T extends Attempted = Attempted> {
  entry: T;
  fate: Fate;
  /** Attempts and first attempt, this request counted. */
  attempts: number;
  firstAttempt: number;
}

export interface SettlementPlan<T extends Attempted = Attempted> {
  /** In the order of the batch. */
  entries: PlannedEntry<T>[];
  /** Set when the provider throttled and named a wait: the lane sends nothing before then. */
  pauseUntil: number | undefined;
}

/**
 * Settles one request's answer, as a pure function of the batch, the sink's result, the retry
 * policy and the time: delivered entries are done; a permanent refusal is a dead letter with the
 * provider's code, for that entry alone; a retryable one goes again after one jittered delay
 * shared by the request's failed entries (each entry's Retry-After a floor), or is a dead letter
 * once `retry.max_elapsed` has passed since its first attempt. A result with too few outcomes
 * leaves the unanswered entries retryable: nothing is taken as delivered without an answer.
 */
export function planSettlement<T extends Attempted>(
  batch: readonly T[],
  result: SendResult,
  policy: RetryPolicy,
  now: number,
  startedAt: number,
): SettlementPlan<T> {
  const entries: PlannedEntry<T>[] = [];
  let attemptsMax = 0;
  let retryAfterMax = 0;
  /** Every entry to retry was throttled with a wait to honour (then that wait is the delay). */
  let allHinted = true;
  for (let i = 0; i < batch.length; i++) {
    const entry = batch[i];
    if (entry === undefined) continue;
    const attempts = entry.attempts + 1;
    const firstAttempt = entry.firstAttempt ?? startedAt;
    const o: EntryOutcome =
      result.outcomes[i] ?? retryable('missing_outcome', `sink returned ${result.outcomes.length} outcomes for ${batch.length} entries`);
    let fate: Fate;
    if (o.kind === 'delivered') fate = DELIVERED;
    else if (o.kind === 'permanent') fate = { kind: 'dead', code: o.code, message: o.message };
    else if (policy.expired(firstAttempt, now)) {
      const message = `gave up after ${attempts} attempts (retry.max_elapsed ${policy.maxElapsed} ms): ${o.message}`;
      fate = { kind: 'dead', code: o.code, message };
    } else {
      attemptsMax = Math.max(attemptsMax, attempts);
      if (o.retryAfterMs !== undefined) retryAfterMax = Math.max(retryAfterMax, o.retryAfterMs);
      else allHinted = false;
      // `at` is filled in below, once the request's shared delay is known.
      fate = { kind: 'retry', code: o.code, message: o.message, at: now + (o.retryAfterMs ?? 0) };
    }
    entries.push({ entry, fate, attempts, firstAttempt });
  }
  if (attemptsMax > 0) {
    // One jittered delay for the request's failed entries, so that they go again together: the
    // provider's wait after a throttling answer that gave one (the pacer slows the sink), else
    // exponential backoff.
    const at = now + (result.throttled && allHinted ? policy.throttledDelay(retryAfterMax) : policy.delay(attemptsMax));
    for (const e of entries) if (e.fate.kind === 'retry') e.fate.at = Math.max(e.fate.at, at);
  }
  // A provider that asked for a wait gets no request at all from this sink until then.
  return { entries, pauseUntil: result.throttled && retryAfterMax > 0 ? now + retryAfterMax : undefined };
}

const DELIVERED: Fate = Object.freeze({ kind: 'delivered' });

export function retryable(code: string, message: string): EntryOutcome {
  return { kind: 'retryable', code, message };
}
