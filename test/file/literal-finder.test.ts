import { describe, expect, it } from 'vitest';
import { LiteralFinder } from '../../src/sources/file/literal-finder.ts';

function rng(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** Every occurrence, found by walking `find` from 0, as `indexOf` finds them. */
function all(find: (data: Buffer, from: number) => number, data: Buffer): number[] {
  const out: number[] = [];
  for (let at = find(data, 0); at >= 0; at = find(data, at + 1)) out.push(at);
  return out;
}

describe("LiteralFinder (memchr on the literal's rarest byte, checked)", () => {
  it('finds exactly what Buffer.indexOf finds, in random text over small alphabets', () => {
    const random = rng(20261125);
    const alphabets = ['ab', 'abc_Y', 'PAYMENT_FAILED .', 'aaaaab', 'xyzXYZ\n ', 'ERROR'];
    for (let round = 0; round < 600; round++) {
      const alphabet = alphabets[round % alphabets.length]!;
      const pick = () => alphabet[Math.floor(random() * alphabet.length)]!;
      const data = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 3000) }, pick).join(''));
      const literal = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 6) }, pick).join(''));
      const finder = new LiteralFinder(literal);
      expect(
        all((d, f) => finder.find(d, f), data),
        `${literal} in ${data.subarray(0, 60)}…`,
      ).toEqual(all((d, f) => d.indexOf(literal, f), data));
    }
  });

  it('skips text without the rare byte, and still finds the literal at the edges of the buffer', () => {
    const literal = Buffer.from('PAYMENT_FAILED');
    const filler = 'INFO request id=42 method=GET path=/api/v1/items/7 status=200\n'.repeat(1000);
    const data = Buffer.from(`PAYMENT_FAILED first\n${filler}PAYMENT_FAILE\n${filler}last PAYMENT_FAILED`);
    const finder = new LiteralFinder(literal);
    expect(all((d, f) => finder.find(d, f), data)).toEqual([0, data.length - literal.length]);
  });

  it('falls back to the plain search where its byte is everywhere, with the same answers', () => {
    // "Y" is rare in logs, but not in this file: every line holds it, none holds the literal
    const data = Buffer.from('Y-axis value Y=1 PAYMENT_OK\n'.repeat(5000) + 'PAYMENT_FAILED\n');
    const finder = new LiteralFinder(Buffer.from('PAYMENT_FAILED'));
    expect(finder.find(data, 0)).toBe(data.indexOf('PAYMENT_FAILED'));
    expect(finder.find(data, 0)).toBe(data.indexOf('PAYMENT_FAILED'));
    expect(finder.find(data, data.length)).toBe(-1);
  });
});
