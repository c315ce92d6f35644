import { describe, expect, it } from 'vitest';
import { sendIsolating } from '../../../src/sinks/isolate.ts';
import type { EntryOutcome, SendResult } from '../../../src/sinks/sink.ts';

/** An all-or-nothing provider: refuses a whole request when any of its items is poison. */
function provider(poison: Set<number>, opts: { throttleAfter?: number } = {}) {
  const requests: number[][] = [];
  const send = async (items: readonly number[]): Promise<SendResult> => {
    requests.push([...items]);
    if (opts.throttleAfter !== undefined && requests.length > opts.throttleAfter) {
      return {
        outcomes: items.map(() => ({ kind: 'retryable', code: 'APIGW.0308', message: 'throttled' }) as EntryOutcome),
        throttled: true,
      };
    }
    const bad = items.some((i) => poison.has(i));
    const o: EntryOutcome = bad ? { kind: 'permanent', code: 'ces.0014', message: 'invalid', scope: 'request' } : { kind: 'delivered' };
    return { outcomes: items.map(() => o), throttled: false };
  };
  return { send, requests };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('sendIsolating', () => {
  it('sends a clean batch once', async () => {
    const p = provider(new Set());
    const r = await sendIsolating(range(100), p.send);
    expect(r.outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(p.requests).toHaveLength(1);
  });

  it('splits a refused batch of 100 until the one poison entry is alone; the 99 others are delivered', async () => {
    const p = provider(new Set([37]));
    const r = await sendIsolating(range(100), p.send);
    const refused = r.outcomes.flatMap((o, i) => (o.kind === 'permanent' ? [i] : []));
    expect(refused).toEqual([37]);
    expect(r.outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(99);
    // Alone, the refusal is the entry's own: no `scope` left on it.
    expect(r.outcomes[37]).toEqual({ kind: 'permanent', code: 'ces.0014', message: 'invalid' });
    // 1 + 2 per level of a 100-entry bisection (7 levels) at most.
    expect(p.requests.length).toBeLessThanOrEqual(1 + 2 * 7);
  });

  it('isolates two poison entries in different halves', async () => {
    const p = provider(new Set([3, 90]));
    const r = await sendIsolating(range(100), p.send);
    expect(r.outcomes.flatMap((o, i) => (o.kind === 'permanent' ? [i] : []))).toEqual([3, 90]);
  });

  it('a single refused entry is refused for itself', async () => {
    const p = provider(new Set([0]));
    const r = await sendIsolating([0], p.send);
    expect(r.outcomes).toEqual([{ kind: 'permanent', code: 'ces.0014', message: 'invalid' }]);
  });

  it('stops splitting when a half is throttled: the unsent rest is retried with it', async () => {
    const p = provider(new Set([7]), { throttleAfter: 1 });
    const r = await sendIsolating(range(10), p.send);
    expect(p.requests).toHaveLength(2);
    expect(r.throttled).toBe(true);
    expect(r.outcomes.every((o) => o.kind === 'retryable')).toBe(true);
  });

  it('an entry-level refusal is not split', async () => {
    const send = async (items: readonly number[]): Promise<SendResult> => ({
      outcomes: items.map((i) => (i === 1 ? { kind: 'permanent', code: 'InvalidArgument', message: 'x' } : { kind: 'delivered' })),
      throttled: false,
    });
    const r = await sendIsolating([0, 1, 2], send);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['delivered', 'permanent', 'delivered']);
  });
});
