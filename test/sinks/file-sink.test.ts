import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink } from '../../src/sinks/file/file-sink.ts';
import type { Event } from '../../src/model/event.ts';
import { scratchDir } from '../helpers/cli.ts';

const event = (id: string): Event => ({
  id, rule: 'r', name: 'E', source: 's', time: 0, severity: 'Info', state: 'normal', action: 'raise', content: id,
  resource: {}, dimensions: {}, attributes: {}, key: id, to: ['out'], overrides: {},
});

describe('file sink', () => {
  it('appends one JSON line per event and ends a line torn by a crash before writing more', async () => {
    const s = scratchDir();
    const path = join(s.dir, 'out', 'events.jsonl');
    const first = new FileSink('out', path, true);
    expect((await first.send([event('a'), event('b')])).outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
    await first.close();
    writeFileSync(path, readFileSync(path, 'utf8') + '{"id":"torn","na'); // what kill -9 mid-write leaves
    const second = new FileSink('out', path, true);
    await second.send([event('c')]);
    await second.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[3]!).id).toBe('c');
    s.cleanup();
  });

  it('reports a path that is a directory as a permanent failure', async () => {
    const s = scratchDir();
    const sink = new FileSink('out', s.dir, true);
    const r = await sink.send([event('a')]);
    expect(r.outcomes[0]).toMatchObject({ kind: 'permanent', code: 'EISDIR' });
    s.cleanup();
  });

  it('writes into a FIFO only once a reader opens it, and fsync does not fail on a pipe', async () => {
    const s = scratchDir();
    const fifo = join(s.dir, 'events.fifo');
    execFileSync('mkfifo', [fifo]);
    const sink = new FileSink('out', fifo, true);
    let settled = false;
    const sent = sink.send([event('a'), event('b')]).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false); // no reader yet: the write waits instead of filling a pipe nobody reads

    let received = '';
    const reader = createReadStream(fifo, 'utf8').on('data', (c) => (received += c));
    expect((await sent).outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
    await sink.close();
    await new Promise((r) => reader.on('close', r));
    expect(received.trimEnd().split('\n').map((l) => JSON.parse(l).id)).toEqual(['a', 'b']);
    s.cleanup();
  });
});
