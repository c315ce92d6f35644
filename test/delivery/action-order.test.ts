import { describe, expect, it } from 'vitest';
import { ActionOrder } from '../../src/delivery/action-order.ts';

const entry = (key: string, action: 'raise' | 'clear') => ({ event: { key, action } });

describe('ActionOrder', () => {
  it('lets a raise and its clear go together in one request', () => {
    const o = new ActionOrder();
    const batch = [entry('k', 'raise'), entry('k', 'clear')];
    expect(o.admit(batch)).toEqual(batch);
    expect(o.waiting).toBe(0);
  });

  it('holds a clear while a raise of its key is unresolved, then releases it', () => {
    const o = new ActionOrder();
    const raise = entry('k', 'raise');
    expect(o.admit([raise])).toEqual([raise]);
    const clear = entry('k', 'clear');
    const other = entry('j', 'clear');
    expect(o.admit([clear, other])).toEqual([other]);
    expect(o.waiting).toBe(1);
    // The raise is retried (still unresolved): it goes, the clear still waits.
    expect(o.admit([raise])).toEqual([raise]);
    expect(o.resolved(raise)).toEqual([clear]);
    expect(o.waiting).toBe(0);
    expect(o.admit([clear])).toEqual([clear]);
  });

  it('keeps everything of a key behind a waiting entry, so nothing overtakes it', () => {
    const o = new ActionOrder();
    const raise1 = entry('k', 'raise');
    o.admit([raise1]);
    const clear = entry('k', 'clear');
    const raise2 = entry('k', 'raise');
    expect(o.admit([clear, raise2])).toEqual([]);
    expect(o.resolved(raise1)).toEqual([clear, raise2]);
  });

  it('lets entries of the same action flow freely', () => {
    const o = new ActionOrder();
    const a = entry('k', 'raise');
    const b = entry('k', 'raise');
    expect(o.admit([a])).toEqual([a]);
    expect(o.admit([b])).toEqual([b]);
    expect(o.resolved(a)).toEqual([]);
    expect(o.resolved(b)).toEqual([]);
  });

  it('forgets waiting entries that were dropped', () => {
    const o = new ActionOrder();
    const raise = entry('k', 'raise');
    o.admit([raise]);
    const clear = entry('k', 'clear');
    o.admit([clear]);
    o.remove((e) => e === clear);
    expect(o.waiting).toBe(0);
    expect(o.resolved(raise)).toEqual([]);
  });

  it('knows entries by their event, so entries without a spool seq (held) are distinct', () => {
    const o = new ActionOrder();
    const first = entry('k', 'raise');
    const second = entry('k', 'raise');
    expect(o.admit([first])).toEqual([first]);
    expect(o.admit([second])).toEqual([second]);
    const clear = entry('k', 'clear');
    expect(o.admit([clear])).toEqual([]);
    // One raise resolved, the other still in flight: the clear keeps waiting.
    expect(o.resolved(first)).toEqual([]);
    expect(o.resolved(second)).toEqual([clear]);
  });

  it('treats an entry without an action (an old or foreign spool record) as a raise', () => {
    const o = new ActionOrder();
    const odd = { event: {} as { key: string; action: 'raise' } };
    expect(o.admit([odd])).toEqual([odd]);
    const clear = { event: { key: '', action: 'clear' as const } };
    expect(o.admit([clear])).toEqual([]);
    expect(o.resolved(odd)).toEqual([clear]);
  });
});
