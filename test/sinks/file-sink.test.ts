import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink } from '../../src/sinks/file/file-sink.ts';
import type { Event } from '../../src/model/event.ts';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { fifoReader } from '../helpers/fifo.ts';

const event = (id: string): Event => ({
  id,
  rule: 'r',
  name: 'E',
  source: 's',
  time: 0,
  severity: 'Info',
  state: 'normal',
  action: 'raise',
  content: id,
  resource: {},
  dimensions: {},
  attributes: {},
  key: id,
  to: ['out'],
  overrides: {},
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

  describe('into a FIFO', () => {
    const fifo = (): { path: string; cleanup(): void } => {
      const s = scratchDir();
      const path = join(s.dir, 'events.fifo');
      execFileSync('mkfifo', [path]);
      return { path, cleanup: s.cleanup };
    };

    it('without a reader, fails the batch at once as retryable (ENXIO) instead of waiting', async () => {
      const f = fifo();
      const sink = new FileSink('out', f.path, true);
      const r = await sink.send([event('a')], new AbortController().signal);
      expect(r.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'ENXIO' });
      await sink.close();
      f.cleanup();
    });

    it('writes JSON lines to its reader; fsync does not fail on a pipe', async () => {
      const f = fifo();
      const reader = fifoReader(f.path);
      const sink = new FileSink('out', f.path, true);
      expect((await sink.send([event('a'), event('b')], new AbortController().signal)).outcomes.map((o) => o.kind)).toEqual([
        'delivered',
        'delivered',
      ]);
      await sink.close();
      for (let i = 0; i < 50 && !reader.text().endsWith('\n'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(
        reader
          .text()
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l).id),
      ).toEqual(['a', 'b']);
      reader.socket.destroy();
      f.cleanup();
    });

    it('a reader that stops reading holds the batch until the engine aborts it; close does not hang', async () => {
      const f = fifo();
      const reader = fifoReader(f.path);
      reader.socket.pause(); // the pipe (64 KiB) fills and stays full
      const sink = new FileSink('out', f.path, false);
      const big = Array.from({ length: 100 }, (_, i) => ({ ...event(`e${i}`), content: 'x'.repeat(4096) }));
      const abort = new AbortController();
      let settled = false;
      const sent = sink.send(big, abort.signal).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      abort.abort();
      expect((await sent).outcomes[0]).toMatchObject({ kind: 'retryable' });
      await sink.close(); // a close waiting on the full pipe would time the test out
      reader.socket.destroy();
      f.cleanup();
    });
  });

  it('log2events run with a FIFO sink: no reader keeps the events spooled and SIGTERM exits; a reader then gets them', async () => {
    const s = scratchDir();
    const path = join(s.dir, 'events.fifo');
    execFileSync('mkfifo', [path]);
    writeFileSync(join(s.dir, 'app.log'), 'x ERROR one\nx INFO skip\nx ERROR two\n');
    const config = s.write(
      'config.yaml',
      `state_dir: ${join(s.dir, 'state')}
delivery: { shutdown_timeout: 2s }
sources:
  app: { type: file, include: ["${join(s.dir, 'app.log')}"], format: plain, start_at: beginning }
sinks:
  out: { type: file, path: ${path}, retry: { initial: 50ms, max: 200ms } }
rules:
  - name: err
    when: { contains: "ERROR" }
    event: { name: Err, content: "{{body}}" }
    to: [out]
`,
    );
    const first = await startCli(['run', '-c', config]);
    await new Promise((r) => setTimeout(r, 1000)); // a few ENXIO retries
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.stderr()).toMatch(/"spooled_events":2/);

    const reader = fifoReader(path);
    const second = await startCli(['run', '-c', config]);
    for (let i = 0; i < 200 && reader.text().split('\n').length < 3; i++) await new Promise((r) => setTimeout(r, 25));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toMatch(/"out":\{"delivered":2,/);
    reader.socket.destroy();
    expect(
      reader
        .text()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).content),
    ).toEqual(['x ERROR one', 'x ERROR two']);
    s.cleanup();
  }, 30_000);
});
