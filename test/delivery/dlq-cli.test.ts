import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dlqCommand } from '../../src/cli/dlq.ts';
import { UsageError } from '../../src/cli/command.ts';
import { StateStore } from '../../src/store/state-store.ts';
import { tempDir } from './helpers.ts';

describe('log2events dlq', () => {
  let dir: string;
  let cleanup: () => void;
  let config: string;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('l2e-dlq-'));
    config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `state_dir: ./state
sources: { in: { type: stdin } }
sinks:
  a: { type: http, url: "http://127.0.0.1:9/a" }
  b: { type: http, url: "http://127.0.0.1:9/b" }
rules:
  - name: all
    when: { contains: "EVT" }
    event: { name: Evt, source: test.app, content: "{{body}}" }
    to: [a, b]
`,
    );
    // Three dead letters: a/Bad, b/Bad, b/Worse.
    const store = StateStore.open(join(dir, 'state'));
    const body = (id: string) => JSON.stringify({ id, name: 'Evt', content: id });
    const created = store.commitEvents(
      ['e1', 'e2', 'e3'].map((id, i) => ({
        eventId: id,
        body: body(id),
        bytes: body(id).length,
        sinks: [i === 0 ? 'a' : 'b'],
        deadSinks: [],
      })),
      [],
      1_700_000_000_000,
    );
    store.settle(
      {
        delivered: [],
        retried: [],
        dead: created.map((c, i) => ({
          ...c,
          code: i === 2 ? 'Worse' : 'Bad',
          message: `rejected ${i}`,
          attempts: 2,
          firstAttempt: 1_700_000_000_000,
          lastAttempt: 1_700_000_001_000,
        })),
      },
      1_700_000_002_000,
    );
    store.close();
  });
  afterEach(() => cleanup());

  async function dlq(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) =>
      new Writable({
        write: (c, _e, cb) => {
          append(String(c));
          cb();
        },
      });
    const code = await dlqCommand([...args, '-c', config], {
      stdin: process.stdin,
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err += s)),
    });
    return { code, out, err };
  }

  it('lists dead letters as a table, filtered by sink and code', async () => {
    const all = await dlq('list');
    expect(all.code).toBe(0);
    expect(all.out.split('\n')[0]).toMatch(/^ID\s+SINK\s+CODE\s+ATTEMPTS\s+LAST ATTEMPT\s+EVENT\s+MESSAGE$/);
    expect(all.out).toContain('rejected 2');
    expect(all.out.trim().split('\n')).toHaveLength(4);
    const filtered = await dlq('list', '--sink', 'b', '--code', 'Bad', '--json');
    expect(JSON.parse(filtered.out)).toMatchObject([
      { sink: 'b', code: 'Bad', message: 'rejected 1', attempts: 2, first_attempt: '2023-11-14T22:13:20.000Z', event: { id: 'e2' } },
    ]);
  });

  it('shows one dead letter, and fails on an unknown id', async () => {
    const [first] = JSON.parse((await dlq('list', '--json')).out) as { id: number }[];
    expect(JSON.parse((await dlq('show', String(first!.id))).out)).toMatchObject({ id: first!.id, event: { id: 'e1' } });
    const missing = await dlq('show', '9999');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no dead letter with id 9999');
  });

  it('replays only the selected dead letters into the spool', async () => {
    expect((await dlq('replay', '--code', 'Bad')).out).toBe('replayed 2 dead letter(s) into the spool\n');
    const store = StateStore.open(join(dir, 'state'));
    try {
      expect(store.readEntries('a', 0, 10).map((r) => JSON.parse(r.body).id)).toEqual(['e1']);
      expect(store.readEntries('b', 0, 10).map((r) => JSON.parse(r.body).id)).toEqual(['e2']);
      expect(store.listDeadLetters().map((d) => d.eventId)).toEqual(['e3']);
    } finally {
      store.close();
    }
  });

  it('purges only with a filter or --all', async () => {
    await expect(dlq('purge')).rejects.toThrow(UsageError);
    expect((await dlq('purge', '--sink', 'b')).out).toBe('purged 2 dead letter(s)\n');
    expect((await dlq('purge', '--all')).out).toBe('purged 1 dead letter(s)\n');
    expect((await dlq('list')).out).toBe('no dead letters\n');
  });

  it('rejects unknown actions and malformed ids as usage errors', async () => {
    await expect(dlq('drop')).rejects.toThrow(/unknown action "drop"/);
    await expect(dlq('show', 'abc')).rejects.toThrow(/positive integer/);
    await expect(dlq('list', '--limit', '0')).rejects.toThrow(/positive integer/);
  });
});
