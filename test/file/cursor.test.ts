import { describe, expect, it } from 'vitest';
import { FileCursor, type CursorOptions } from '../../src/sources/file/cursor.ts';
import type { Entry } from '../../src/sources/file/formats/entry.ts';
import { PlainDecoder } from '../../src/sources/file/formats/plain.ts';
import { criPiece } from '../../src/sources/file/formats/cri.ts';
import { EnvelopeDecoder } from '../../src/sources/file/formats/entry.ts';
import { dockerPiece } from '../../src/sources/file/formats/docker.ts';
import { MultilineAggregator } from '../../src/sources/file/multiline.ts';

interface Run {
  entries: Entry[];
  truncated: number;
  cursor: FileCursor;
}

/** Feeds `bytes` to a cursor in chunks of `chunk` bytes, as the tailer does. */
function feed(bytes: Buffer, chunk: number, opts: Partial<CursorOptions> = {}, flush = false): Run {
  const run: Run = { entries: [], truncated: 0, cursor: undefined as unknown as FileCursor };
  run.cursor = new FileCursor(
    { offset: 0, skip: false },
    {
      maxLineBytes: 1024,
      decoder: new PlainDecoder(),
      multiline: undefined,
      literals: null,
      guard: 'none',
      onEntry: (e) => run.entries.push(e),
      onTruncated: () => run.truncated++,
      ...opts,
    },
  );
  for (let pos = 0; pos < bytes.length; pos += chunk) {
    run.cursor.consume(Buffer.concat([run.cursor.held, bytes.subarray(pos, pos + chunk)]));
  }
  if (flush) run.cursor.flush();
  return run;
}

function randomLog(lines: number, seed: number): Buffer {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const kind = rnd();
    const pad = 'x'.repeat(Math.floor(rnd() * 300));
    out.push(kind < 0.05 ? `${i} ERROR ${pad}` : kind < 0.08 ? `${i} ${pad} WARN` : kind < 0.1 ? '' : `${i} info ${pad}`);
  }
  return Buffer.from(out.join('\n') + '\n');
}

describe('FileCursor', () => {
  it('finds the same matching lines at the same offsets with the literal fast path as line by line', () => {
    const data = randomLog(5000, 7);
    const slow = feed(data, 4096).entries.filter((e) => e.text.includes('ERROR') || e.text.includes('WARN'));
    for (const chunk of [100, 777, 4096, 1 << 20]) {
      const fast = feed(data, chunk, { literals: [Buffer.from('ERROR'), Buffer.from('WARN')] }).entries;
      expect(fast).toEqual(slow);
    }
    expect(slow.length).toBeGreaterThan(200);
    // offsets point at the line starts
    for (const e of slow) expect(data.toString('utf8', e.offset, e.offset + e.text.length)).toBe(e.text);
  });

  for (const format of ['cri', 'docker'] as const) {
    it(`${format}: the fast path finds the same merged lines as line-by-line, with partial lines split anywhere`, () => {
      let x = 11;
      const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const out: string[] = [];
      for (let i = 0; i < 3000; i++) {
        // logical lines, a few long ones split into 16 KiB pieces by the runtime, some with the literal
        const long = rnd() < 0.01;
        let text = `msg ${i} ` + 'm'.repeat(long ? 40_000 : Math.floor(rnd() * 200));
        if (rnd() < 0.03) {
          const at = Math.floor(rnd() * text.length);
          text = text.slice(0, at) + 'ERROR' + text.slice(at);
        }
        const pieces: string[] = [];
        for (let p = 0; p < text.length; p += 16384) pieces.push(text.slice(p, p + 16384));
        pieces.forEach((piece, k) => {
          const last = k === pieces.length - 1;
          out.push(
            format === 'cri'
              ? `2024-01-01T00:00:00.${String(i).padStart(9, '0')}Z stdout ${last ? 'F' : 'P'} ${piece}`
              : JSON.stringify({ log: last ? `${piece}\n` : piece, stream: 'stdout', time: '2024-01-01T00:00:00Z' }),
          );
        });
      }
      const data = Buffer.from(out.join('\n') + '\n');
      const make = () => (format === 'cri' ? new EnvelopeDecoder(1 << 20, criPiece) : new EnvelopeDecoder(1 << 20, dockerPiece));
      const slow = feed(data, 65536, { decoder: make(), maxLineBytes: 1 << 20 }).entries.filter((e) => e.text.includes('ERROR'));
      expect(slow.length).toBeGreaterThan(50);
      for (const chunk of [4096, 65536, 1 << 20]) {
        const fast = feed(data, chunk, { decoder: make(), maxLineBytes: 1 << 20, literals: [Buffer.from('ERROR')], guard: format }).entries;
        expect(fast.filter((e) => e.text.includes('ERROR'))).toEqual(slow);
      }
    });
  }

  it('hands over no line at all when no rule applies to the source', () => {
    const run = feed(randomLog(100, 1), 512, { literals: [] });
    expect(run.entries).toEqual([]);
    expect(run.cursor.position().offset).toBeGreaterThan(0);
  });

  it('holds a partial last line until its newline, and its position stays before it', () => {
    const run = feed(Buffer.from('one\ntwo\nthr'), 5);
    expect(run.entries.map((e) => e.text)).toEqual(['one', 'two']);
    expect(run.cursor.position()).toEqual({ offset: 8, skip: false });
    run.cursor.consume(Buffer.concat([run.cursor.held, Buffer.from('ee\n')]));
    expect(run.entries.map((e) => e.text)).toEqual(['one', 'two', 'three']);
    expect(run.cursor.position()).toEqual({ offset: 14, skip: false });
  });

  it('completes a partial last line on flush', () => {
    const run = feed(Buffer.from('one\nlast words'), 3, {}, true);
    expect(run.entries.map((e) => [e.offset, e.text])).toEqual([
      [0, 'one'],
      [4, 'last words'],
    ]);
    expect(run.cursor.position()).toEqual({ offset: 14, skip: false });
  });

  it('truncates a line longer than max_line_bytes, counts it, and goes on with the next line', () => {
    const long = 'A'.repeat(5000);
    for (const chunk of [64, 1000, 100_000]) {
      const run = feed(Buffer.from(`before\n${long}\nafter ERROR\n`), chunk, { maxLineBytes: 1024 });
      expect(run.entries.map((e) => e.text)).toEqual(['before', 'A'.repeat(1024), 'after ERROR']);
      expect(run.truncated).toBe(1);
      expect(run.entries[2]!.offset).toBe(7 + 5001);
    }
  });

  it('keeps skipping the rest of a truncated line across restarts (position carries the skip)', () => {
    const bytes = Buffer.from(`x\n${'B'.repeat(3000)}\ny\n`);
    const first = feed(bytes.subarray(0, 2000), 2000, { maxLineBytes: 1024 });
    const pos = first.cursor.position();
    expect(pos).toEqual({ offset: 2000, skip: true });
    const entries: string[] = [];
    const resumed = new FileCursor(pos, {
      maxLineBytes: 1024,
      decoder: new PlainDecoder(),
      multiline: undefined,
      literals: null,
      guard: 'none',
      onEntry: (e) => entries.push(e.text),
      onTruncated: () => {},
    });
    resumed.consume(Buffer.from(bytes.subarray(2000)));
    expect(entries).toEqual(['y']);
  });

  it('strips CR of CRLF, keeps NUL bytes, replaces invalid UTF-8 with U+FFFD', () => {
    const bytes = Buffer.concat([Buffer.from('crlf\r\nnul\0byte\n'), Buffer.from([0x62, 0xff, 0xfe, 0x61, 0x0a])]);
    expect(feed(bytes, 4).entries.map((e) => e.text)).toEqual(['crlf', 'nul\0byte', 'b\ufffd\ufffda']);
  });

  it('matches a literal in a continuation line of a multiline record to its whole record', () => {
    const text = '2024-01-01 start\n  at frame ERROR\n  at frame\n2024-01-02 next\n  plain\n2024-01-03 tail\n';
    const run = feed(Buffer.from(text), 7, {
      literals: [Buffer.from('ERROR')],
      multiline: new MultilineAggregator({ start_pattern: /^\d{4}-/, timeout: 1000, max_lines: 500, max_bytes: 1 << 20 }),
    });
    expect(run.entries.map((e) => [e.offset, e.text])).toEqual([
      [0, '2024-01-01 start\n  at frame ERROR\n  at frame'],
      [45, '2024-01-02 next\n  plain'],
    ]);
    // the unfinished last record is where a restart resumes
    expect(run.cursor.position()).toEqual({ offset: 69, skip: false });
  });

  for (const caps of [
    { max_lines: 500, max_bytes: 1 << 20 },
    { max_lines: 4, max_bytes: 300 },
  ]) {
    it(`multiline fast path finds the same records as line-by-line (max_lines ${caps.max_lines})`, () => {
      let x = 5;
      const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const out: string[] = [];
      for (let i = 0; i < 4000; i++) {
        out.push(`2024-01-01 record ${i}${rnd() < 0.02 ? ' ERROR' : ''} ${'h'.repeat(Math.floor(rnd() * 80))}`);
        const continuation = rnd() < 0.01 ? 100 : Math.floor(rnd() * 6);
        for (let k = 0; k < continuation; k++) out.push(`  at frame ${i}.${k}${rnd() < 0.01 ? ' ERROR' : ''}`);
      }
      const data = Buffer.from(out.join('\n') + '\n');
      const ml = () => new MultilineAggregator({ start_pattern: /^\d{4}-/, timeout: 1000, ...caps });
      const matching = (entries: Entry[]) => entries.filter((e) => e.text.includes('ERROR'));
      const all = feed(data, 1 << 20, { multiline: ml() }, true).entries;
      const slow = matching(all);
      expect(slow.length).toBeGreaterThan(100);
      for (const chunk of [333, 4096, 1 << 20]) {
        const run = feed(data, chunk, { multiline: ml(), literals: [Buffer.from('ERROR')] }, true);
        expect(matching(run.entries)).toEqual(slow);
        // and most records were never assembled
        expect(run.entries.length).toBeLessThan(all.length / 2);
      }
    });
  }

  it('reads CRI partial lines in order even on the fast path, so a literal split across pieces is found', () => {
    const text =
      '2024-01-01T00:00:00.000000001Z stdout F quiet\n' +
      '2024-01-01T00:00:01Z stdout P first half ER\n' +
      '2024-01-01T00:00:01Z stdout F ROR second half\n' +
      '2024-01-01T00:00:02Z stderr F ERROR alone\n';
    const run = feed(Buffer.from(text), 1 << 16, {
      literals: [Buffer.from('ERROR')],
      decoder: new EnvelopeDecoder(1 << 20, criPiece),
      guard: 'cri',
    });
    // (the region holds partial pieces, so it is read line by line; the rules see every line)
    expect(run.entries.map((e) => e.text).filter((t) => t.includes('ERROR'))).toEqual(['first half ERROR second half', 'ERROR alone']);
  });
});
