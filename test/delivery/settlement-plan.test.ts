import { describe, expect, it } from 'vitest';
import { RetryPolicy } from '../../src/delivery/retry-policy.ts';
import { type Attempted, type Fate, planSettlement } from '../../src/delivery/settlement-plan.ts';
import type { EntryOutcome } from '../../src/sinks/sink.ts';

const retry = { initial: 100, max: 1000, multiplier: 2, max_elapsed: 60_000 };
/** random() = 0.5: the jittered delay is half the ceiling (100 ms ceiling after one attempt → 50). */
const policy = new RetryPolicy(retry, () => 0.5);
const STARTED = 1_000_000;
const NOW = STARTED + 40;

const fresh: Attempted = { attempts: 0, firstAttempt: null };
const ok: EntryOutcome = { kind: 'delivered' };
const busy = (retryAfterMs?: number): EntryOutcome => ({
  kind: 'retryable',
  code: 'Throttling',
  message: 'slow down',
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});
const refused = (code: string): EntryOutcome => ({ kind: 'permanent', code, message: `refused: ${code}` });

interface Row {
  name: string;
  batch: Attempted[];
  outcomes: EntryOutcome[];
  throttled?: boolean;
  fates: Fate[];
  attempts?: number[];
  pauseUntil?: number;
}

const table: Row[] = [
  {
    name: 'an accepted request: every entry delivered',
    batch: [fresh, fresh],
    outcomes: [ok, ok],
    fates: [{ kind: 'delivered' }, { kind: 'delivered' }],
    attempts: [1, 1],
  },
  {
    name: 'every refusal lands in dead letters with the provider code, alone; its neighbours are delivered',
    batch: [fresh, fresh, fresh],
    outcomes: [ok, refused('InvalidArgument'), ok],
    fates: [{ kind: 'delivered' }, { kind: 'dead', code: 'InvalidArgument', message: 'refused: InvalidArgument' }, { kind: 'delivered' }],
  },
  {
    name: 'a retryable failure goes again after the jittered delay (half of the 100 ms ceiling)',
    batch: [fresh, fresh],
    outcomes: [busy(), ok],
    fates: [{ kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 50 }, { kind: 'delivered' }],
  },
  {
    name: "the request's failed entries share one delay, from the most attempted of them",
    batch: [fresh, { attempts: 2, firstAttempt: STARTED - 500 }],
    outcomes: [busy(), busy()],
    // Third attempt: ceiling 400, half of it 200.
    fates: [
      { kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 200 },
      { kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 200 },
    ],
    attempts: [1, 3],
  },
  {
    name: "an entry's Retry-After is a floor for that entry",
    batch: [fresh, fresh],
    outcomes: [busy(3000), busy()],
    fates: [
      { kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 3000 },
      { kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 50 },
    ],
  },
  {
    name: 'a throttled answer with Retry-After pauses the whole sink until the longest wait; its entries go again together after it, jittered',
    batch: [fresh, fresh],
    outcomes: [busy(2000), busy(500)],
    throttled: true,
    // 2000 ms plus a quarter of it × random() 0.5.
    fates: [
      { kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 2250 },
      { kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 2250 },
    ],
    pauseUntil: NOW + 2000,
  },
  {
    name: "throttled with a wait again and again: the wait stays the provider's, not a backoff growing with the attempts",
    batch: [{ attempts: 6, firstAttempt: NOW - 5000 }],
    outcomes: [busy(200)],
    throttled: true,
    // Exponential backoff would be up to 1000 ms (ceiling after 7 attempts), 500 with random() 0.5.
    fates: [{ kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 225 }],
    attempts: [7],
    pauseUntil: NOW + 200,
  },
  {
    name: 'throttled without a wait to honour: exponential backoff',
    batch: [{ attempts: 6, firstAttempt: NOW - 5000 }],
    outcomes: [busy()],
    throttled: true,
    fates: [{ kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 500 }],
    attempts: [7],
  },
  {
    name: 'Retry-After without throttling pauses nothing but its entries',
    batch: [fresh],
    outcomes: [busy(2000)],
    fates: [{ kind: 'retry', code: 'Throttling', message: 'slow down', at: NOW + 2000 }],
  },
  {
    name: 'a retryable failure past retry.max_elapsed is a dead letter with the provider code',
    batch: [{ attempts: 7, firstAttempt: NOW - 60_000 }],
    outcomes: [busy()],
    fates: [{ kind: 'dead', code: 'Throttling', message: 'gave up after 8 attempts (retry.max_elapsed 60000 ms): slow down' }],
    attempts: [8],
  },
  {
    name: 'a permanent refusal is dead at once, whatever the time left',
    batch: [fresh],
    outcomes: [refused('AccessDenied')],
    fates: [{ kind: 'dead', code: 'AccessDenied', message: 'refused: AccessDenied' }],
  },
  {
    name: 'entries the sink did not answer are retried, never taken as delivered',
    batch: [fresh, fresh, fresh],
    outcomes: [ok],
    fates: [
      { kind: 'delivered' },
      { kind: 'retry', code: 'missing_outcome', message: 'sink returned 1 outcomes for 3 entries', at: NOW + 50 },
      { kind: 'retry', code: 'missing_outcome', message: 'sink returned 1 outcomes for 3 entries', at: NOW + 50 },
    ],
  },
];

describe('planSettlement: one request answer → what becomes of each entry', () => {
  it.each(table)('$name', (row) => {
    const plan = planSettlement(row.batch, { outcomes: row.outcomes, throttled: row.throttled ?? false }, policy, NOW, STARTED);
    expect(plan.entries.map((e) => e.fate)).toEqual(row.fates);
    if (row.attempts) expect(plan.entries.map((e) => e.attempts)).toEqual(row.attempts);
    expect(plan.pauseUntil).toBe(row.pauseUntil);
  });

  it('counts the first attempt from this request for entries never tried, and keeps an earlier one', () => {
    const plan = planSettlement(
      [fresh, { attempts: 1, firstAttempt: 5 }],
      { outcomes: [busy(), busy()], throttled: false },
      policy,
      NOW,
      STARTED,
    );
    expect(plan.entries.map((e) => e.firstAttempt)).toEqual([STARTED, 5]);
  });

  it('leaves the batch as it was (the lane applies the plan)', () => {
    const batch = [{ attempts: 2, firstAttempt: 7 }];
    planSettlement(batch, { outcomes: [ok], throttled: false }, policy, NOW, STARTED);
    expect(batch).toEqual([{ attempts: 2, firstAttempt: 7 }]);
  });
});
