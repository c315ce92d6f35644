import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/delivery/batcher.ts';

const item = (size: number, readyAt = 0, id = size) => ({ id, size, readyAt });

describe('Batcher', () => {
  it('cuts at once when a request is full by entries', () => {
    const b = new Batcher({ maxEntries: 3, maxBytes: 1000 }, 200);
    for (let i = 1; i <= 7; i++) b.push(item(10, 0, i));
    expect(b.cut(0)).toEqual({ batch: [1, 2, 3].map((id) => item(10, 0, id)) });
    expect(b.cut(0)).toEqual({ batch: [4, 5, 6].map((id) => item(10, 0, id)) });
    expect(b.cut(0)).toEqual({ waitUntil: 200 });
    expect(b.length).toBe(1);
  });

  it('cuts at once when the next entry would break the byte limit', () => {
    const b = new Batcher({ maxEntries: 100, maxBytes: 100 }, 200);
    b.push(item(60, 0, 1));
    b.push(item(30, 0, 2));
    b.push(item(20, 0, 3));
    expect(b.cut(0)).toEqual({ batch: [item(60, 0, 1), item(30, 0, 2)] });
    expect(b.cut(0)).toEqual({ waitUntil: 200 });
  });

  it('sends a partial batch once its oldest entry has lingered, or at once when forced', () => {
    const b = new Batcher({ maxEntries: 10, maxBytes: 1000 }, 200);
    b.push(item(1, 50, 1));
    b.push(item(1, 20, 2));
    expect(b.cut(100)).toEqual({ waitUntil: 220 });
    expect(b.cut(219)).toEqual({ waitUntil: 220 });
    expect(b.cut(220)).toMatchObject({ batch: [{ id: 1 }, { id: 2 }] });
    expect(b.cut(220)).toEqual({ empty: true });
    b.push(item(1, 1000, 3));
    expect(b.cut(1000, true)).toMatchObject({ batch: [{ id: 3 }] });
  });

  it('removes entries by predicate', () => {
    const b = new Batcher<ReturnType<typeof item>>({ maxEntries: 10, maxBytes: 1000 }, 0);
    for (let i = 1; i <= 5; i++) b.push(item(1, 0, i));
    b.remove((e) => e.id % 2 === 0);
    expect(b.cut(0)).toMatchObject({ batch: [{ id: 1 }, { id: 3 }, { id: 5 }] });
  });
});
