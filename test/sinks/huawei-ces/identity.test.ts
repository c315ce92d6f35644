import { describe, expect, it } from 'vitest';
import { CesTimes } from '../../../src/sinks/huawei-ces/identity.ts';

const always = () => true;

describe('CesTimes: distinct events never share a Cloud Eye identity', () => {
  it('gives 20,000 events clamped to one time 20,000 distinct times, and each keeps its own on a retry', () => {
    const times = new CesTimes();
    // Inside the window Cloud Eye takes (times it can no longer take are pruned along the way).
    const clampedTo = Date.now() - 3_000_000;
    const clamp = () => clampedTo;
    const first = Array.from({ length: 20_000 }, (_, i) => times.timeFor(`e${i}`, 'PaymentFailed|shop.payments', 5, clamp, always));
    expect(new Set(first).size).toBe(20_000);
    const retried = Array.from({ length: 20_000 }, (_, i) => times.timeFor(`e${i}`, 'PaymentFailed|shop.payments', 5, clamp, always));
    expect(retried).toEqual(first);
  });

  it('keeps an event at its own time when that ms is free, and moves a later one just past it', () => {
    const times = new CesTimes();
    const inside = () => undefined;
    expect(times.timeFor('a', 'id', 100, inside, always)).toBe(100);
    expect(times.timeFor('b', 'id', 100, inside, always)).toBe(101);
    expect(times.timeFor('c', 'other', 100, inside, always)).toBe(100);
  });

  it('past a few taken ms, jumps after the latest held rather than walking every one', () => {
    const times = new CesTimes();
    const inside = () => undefined;
    for (let i = 0; i < 100; i++) times.timeFor(`x${i}`, 'id', 1000 + i, inside, always);
    // 1000..1099 are held: an event at 1000 lands after 1099, unique either way.
    expect(times.timeFor('late', 'id', 1000, inside, always)).toBe(1100);
  });
});
