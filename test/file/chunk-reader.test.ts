import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, ChunkReader, MIN_CHUNK_BYTES, nextReadSize } from '../../src/sources/file/chunk-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'l2e-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads `content` from `from` in reads of `size` bytes, each chunk joined to what the step before held back. */
async function readAll(content: Buffer, from: number, size: number, holdBack: (chunk: Buffer) => number) {
  const path = join(dir, `f-${content.length}-${size}`);
  writeFileSync(path, content);
  const fh = await open(path, 'r');
  const reader = new ChunkReader();
  const seen: { joined: string; end: number; atEnd: boolean }[] = [];
  let held = Buffer.alloc(0);
  try {
    reader.begin(fh, from, size);
    for (let bytes = await reader.take(); bytes; bytes = await reader.take()) {
      reader.readAhead(size);
      const joined = reader.withHeld(held);
      seen.push({ joined: joined.toString(), end: reader.end, atEnd: reader.atEnd });
      held = Buffer.from(joined.subarray(joined.length - holdBack(joined)));
    }
  } finally {
    await reader.finish();
    await fh.close();
  }
  return seen;
}

describe('ChunkReader', () => {
  it('reads from the position given to the end, and ends at a short chunk', async () => {
    const seen = await readAll(Buffer.from('0123456789abcdefghij'), 4, 7, () => 0);
    expect(seen).toEqual([
      { joined: '456789a', end: 11, atEnd: false },
      { joined: 'bcdefgh', end: 18, atEnd: false },
      { joined: 'ij', end: 20, atEnd: true },
    ]);
  });

  it('puts the bytes held back in front of the next chunk', async () => {
    const seen = await readAll(Buffer.from('aaa\nbb'.repeat(3)), 0, 5, (c) => c.length - c.lastIndexOf('\n') - 1);
    expect(seen.map((s) => s.joined)).toEqual(['aaa\nb', 'bbaaa\n', 'bbaaa', 'bbaaa\nbb']);
  });

  it('copies held bytes longer than its head room in front of the chunk', async () => {
    const long = Buffer.alloc(100_000, 'x');
    const content = Buffer.concat([long, Buffer.from('yz\n')]);
    const seen = await readAll(content, 0, 90_000, (c) => c.length);
    expect(seen.map((s) => s.joined.length)).toEqual([90_000, 100_003]);
    expect(seen[1]?.joined.endsWith('xyz\n')).toBe(true);
  });
});

describe('nextReadSize: about one commit of events per read', () => {
  const COMMIT = 128;
  it.each([
    // current, bytes read, events it yielded, next size
    { current: CHUNK_BYTES, bytes: CHUNK_BYTES, events: 0, next: CHUNK_BYTES, why: 'no match: the largest read' },
    { current: CHUNK_BYTES, bytes: CHUNK_BYTES, events: 1024, next: 64 << 10, why: 'dense: shrinks at once to the fitting power of two' },
    { current: CHUNK_BYTES, bytes: CHUNK_BYTES, events: 100_000, next: MIN_CHUNK_BYTES, why: 'never below the smallest read' },
    { current: MIN_CHUNK_BYTES, bytes: MIN_CHUNK_BYTES, events: 0, next: 2 * MIN_CHUNK_BYTES, why: 'sparse again: grows by doubling' },
    { current: 256 << 10, bytes: 256 << 10, events: 1, next: CHUNK_BYTES, why: 'never above the largest read' },
  ])('$why', ({ current, bytes, events, next }) => {
    expect(nextReadSize(current, bytes, events, COMMIT)).toBe(next);
  });
});
