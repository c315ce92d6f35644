import { describe, expect, it } from 'vitest';
import { RetrySchedule } from '../../src/delivery/retry-schedule.ts';
import { seededRandom } from '../../src/emulator/faults.ts';

/** Collects the items of the schedule's next firing. */
function nextDue<T>(fill: (s: RetrySchedule<T>) => void): Promise<T[]> {
  return new Promise((resolve) => fill(new RetrySchedule<T>(resolve)));
}

describe('RetrySchedule', () => {
  it('hands over every due entry at once, earliest first (seeded)', async () => {
    const seed = Number(process.env.L2E_TEST_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const past = Date.now() - 10_000;
    const ats = Array.from({ length: 300 }, () => past + Math.floor(random() * 5_000));
    const due = await nextDue<number>((s) => {
      for (const at of ats) s.add(at, at);
    });
    expect(due, `seed ${seed} (replay with L2E_TEST_SEED=${seed})`).toEqual([...ats].sort((a, b) => a - b));
  });

  it('keeps entries that are not due yet, and forgets them on clear', async () => {
    let schedule: RetrySchedule<string> | undefined;
    const due = await nextDue<string>((s) => {
      schedule = s;
      s.add(Date.now() + 3_600_000, 'later');
      s.add(Date.now() - 1, 'now');
    });
    expect(due).toEqual(['now']);
    expect(schedule?.size).toBe(1);
    expect(schedule?.clear()).toEqual(['later']);
    expect(schedule?.size).toBe(0);
  });

  it('removes the entries a predicate picks and keeps the rest in order', async () => {
    const past = Date.now() - 1000;
    const due = await nextDue<number>((s) => {
      for (const n of [5, 3, 8, 1, 9, 2]) s.add(past + n, n);
      expect(s.remove((n) => n % 2 === 0).sort()).toEqual([2, 8]);
    });
    expect(due).toEqual([1, 3, 5, 9]);
  });
});
