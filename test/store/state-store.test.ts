import { chmodSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { MANIFEST_FILE_NAME } from '../../src/store/integrity.ts';
import {
  MAX_CODE_CHARS,
  MAX_MESSAGE_CHARS,
  STATE_FILE_NAME,
  StateStore,
  StateStoreError,
  type EventToSpool,
} from '../../src/store/state-store.ts';
import { tempDir } from '../delivery/helpers.ts';

function spoolable(id: string, sinks: string[] = ['s']): EventToSpool {
  const body = JSON.stringify({ id });
  return { eventId: id, body, bytes: Buffer.byteLength(body), sinks, deadSinks: [] };
}

describe('StateStore', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });
  function dir(): string {
    const t = tempDir('l2e-store-');
    cleanups.push(t.cleanup);
    return t.dir;
  }
  function open(d: string): StateStore {
    const s = StateStore.open(d);
    cleanups.push(() => s.isOpen && s.close());
    return s;
  }

  it('creates one WAL-mode database with the current schema version under state_dir', () => {
    const d = join(dir(), 'nested', 'state');
    const store = open(d);
    expect(store.file).toBe(join(d, STATE_FILE_NAME));
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(store.synchronous()).toBe('FULL');
    store.setSynchronous('NORMAL');
    expect(store.synchronous()).toBe('NORMAL');
    store.close();
    const raw = new DatabaseSync(join(d, STATE_FILE_NAME));
    expect((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    raw.close();
  });

  it('refuses a corrupt file with an error naming it, and leaves the file alone', () => {
    const d = dir();
    const file = join(d, STATE_FILE_NAME);
    const garbage = 'this is not a database '.repeat(200);
    writeFileSync(file, garbage);
    expect(() => StateStore.open(d)).toThrow(StateStoreError);
    expect(() => StateStore.open(d)).toThrow(new RegExp(`${file}.*(corrupt|not a log2events state store)`));
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  });

  it('refuses a state_dir it cannot create', () => {
    const d = dir();
    writeFileSync(join(d, 'plain-file'), 'x');
    expect(() => StateStore.open(join(d, 'plain-file', 'state'))).toThrow(/cannot create state_dir/);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a read-only state store', () => {
    const d = dir();
    open(d).close();
    chmodSync(join(d, STATE_FILE_NAME), 0o444);
    chmodSync(d, 0o555);
    cleanups.push(() => chmodSync(d, 0o755));
    expect(() => StateStore.open(d)).toThrow(StateStoreError);
  });

  it('refuses a store written by a newer schema', () => {
    const d = dir();
    open(d).close();
    const raw = new DatabaseSync(join(d, STATE_FILE_NAME));
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => StateStore.open(d)).toThrow(/newer than this build/);
  });

  it('commits events and checkpoints together and keeps them across reopen', () => {
    const d = dir();
    const store = open(d);
    const created = store.commitEvents([spoolable('a', ['s1', 's2']), spoolable('b', ['s1'])], [{ source: 'f', key: 'k', value: '10' }], 1);
    expect(created.map((c) => [c.sink, c.index])).toEqual([
      ['s1', 0],
      ['s2', 0],
      ['s1', 1],
    ]);
    store.close();
    const again = open(d);
    expect(again.totals().events).toBe(2);
    expect(again.checkpoints('f')).toEqual(new Map([['k', '10']]));
    expect(again.readEntries('s1', 0, 10).map((r) => JSON.parse(r.body).id)).toEqual(['a', 'b']);
    again.forgetCheckpoints('f', ['k']);
    expect(again.checkpoints('f').size).toBe(0);
  });

  it('rolls back the whole commit, checkpoint included, when one insert fails', () => {
    const store = open(dir());
    const broken = { ...spoolable('x'), body: null as unknown as string };
    expect(() => store.commitEvents([spoolable('ok'), broken], [{ source: 'f', key: 'k', value: '1' }], 1)).toThrow();
    expect(store.totals().events).toBe(0);
    expect(store.checkpoints('f').size).toBe(0);
  });

  it('removes an event once its last sink entry is settled', () => {
    const store = open(dir());
    const [a1, a2] = store.commitEvents([spoolable('a', ['s1', 's2'])], [], 1);
    expect(store.settle({ delivered: [a1!], retried: [], dead: [] }, 2)).toEqual({ events: 0, bytes: 0 });
    expect(store.totals().events).toBe(1);
    const freed = store.settle(
      { delivered: [], retried: [], dead: [{ ...a2!, code: 'E', message: 'm', attempts: 3, firstAttempt: 5, lastAttempt: 9 }] },
      10,
    );
    expect(freed.events).toBe(1);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
    expect(store.listDeadLetters()).toMatchObject([
      { eventId: 'a', sink: 's2', code: 'E', message: 'm', attempts: 3, firstAttempt: 5, lastAttempt: 9, createdAt: 10 },
    ]);
  });

  it('removes exactly the delivered entries, whether they come in runs of consecutive ids or scattered', () => {
    const store = open(dir());
    // 40 events for two sinks (their entries interleave), then 40 for one sink (consecutive).
    const both = store.commitEvents(
      Array.from({ length: 40 }, (_, i) => spoolable(`b${i}`, ['s1', 's2'])),
      [],
      1,
    );
    const single = store.commitEvents(
      Array.from({ length: 40 }, (_, i) => spoolable(`s${i}`, ['s1'])),
      [],
      1,
    );
    expect(store.totals().events).toBe(80);
    // Two runs with a gap of five entries that stay spooled.
    expect(store.settle({ delivered: [...single.slice(0, 10), ...single.slice(15)], retried: [], dead: [] }, 2).events).toBe(35);
    expect(store.readEntries('s1', 0, 1000).map((e) => e.seq)).toEqual(
      [...both.filter((e) => e.sink === 's1'), ...single.slice(10, 15)].map((e) => e.seq),
    );
    // Every other entry: the events still wait for their s2 entry.
    expect(store.settle({ delivered: both.filter((e) => e.sink === 's1'), retried: [], dead: [] }, 3).events).toBe(0);
    expect(store.settle({ delivered: both.filter((e) => e.sink === 's2'), retried: [], dead: [] }, 4).events).toBe(40);
    expect(store.settle({ delivered: single.slice(10, 15), retried: [], dead: [] }, 5).events).toBe(5);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
  });

  it('lists, replays and purges dead letters by sink and code', () => {
    const store = open(dir());
    const created = store.commitEvents([spoolable('a', ['s1']), spoolable('b', ['s2']), spoolable('c', ['s2'])], [], 1);
    store.settle(
      {
        delivered: [],
        retried: [],
        dead: created.map((c, i) => ({ ...c, code: i === 2 ? 'C2' : 'C1', message: 'm', attempts: 1, firstAttempt: 1, lastAttempt: 1 })),
      },
      2,
    );
    expect(store.countDeadLetters()).toBe(3);
    expect(store.listDeadLetters({ sink: 's2' }).map((d) => d.eventId)).toEqual(['b', 'c']);
    expect(store.replayDeadLetters({ sink: 's2', code: 'C1' }, 3)).toBe(1);
    expect(store.readEntries('s2', 0, 10).map((r) => [JSON.parse(r.body).id, r.attempts])).toEqual([['b', 0]]);
    expect(store.purgeDeadLetters({ code: 'C2' })).toBe(1);
    expect(store.listDeadLetters().map((d) => d.eventId)).toEqual(['a']);
    const id = store.listDeadLetters()[0]!.id;
    expect(store.getDeadLetter(id)?.eventId).toBe('a');
    expect(store.getDeadLetter(id + 100)).toBeUndefined();
  });

  it('gives the pages of a drained spool back to the file system, a step at a time', () => {
    const store = open(dir());
    const big = 'x'.repeat(4000);
    const created = store.commitEvents(
      Array.from({ length: 3000 }, (_, i) => ({ eventId: `e${i}`, body: big, bytes: big.length, sinks: ['s'], deadSinks: [] })),
      [],
      1,
    );
    store.settle({ delivered: created, retried: [], dead: [] }, 2);
    expect(store.reclaim(100, 500)).toBe(500);
    expect(store.reclaim(100, 1_000_000)).toBeGreaterThan(0);
    expect(store.reclaim(100, 1_000_000)).toBe(0);
  });

  it('lets one agent at a time use a state_dir; inspection tools may open it alongside', () => {
    const d = dir();
    const agent = open(d);
    expect(() => StateStore.open(d, { lockWaitMs: 50 })).toThrow(/is in use by another log2events process/);
    const tool = StateStore.open(d, { lock: false });
    expect(tool.countDeadLetters()).toBe(0);
    tool.close();
    agent.close();
    open(d).close();
  });

  it('stores dead-letter and retry codes and messages up to a bounded length', () => {
    const store = open(dir());
    const created = store.commitEvents([spoolable('a'), spoolable('b')], [], 1);
    const code = 'C'.repeat(100_000);
    const message = 'M'.repeat(1_000_000);
    store.settle(
      {
        delivered: [],
        retried: [{ seq: created[1]!.seq, attempts: 1, firstAttempt: 1, lastAttempt: 1, code, message }],
        dead: [{ ...created[0]!, code, message, attempts: 1, firstAttempt: 1, lastAttempt: 1 }],
      },
      2,
    );
    store.commitEvents([{ ...spoolable('c', []), deadSinks: [{ sink: 'gone', code, message }] }], [], 3);
    const dead = store.listDeadLetters();
    expect(dead).toHaveLength(2);
    for (const d of dead) {
      expect(d.code.length).toBe(MAX_CODE_CHARS);
      expect(d.message.length).toBe(MAX_MESSAGE_CHARS);
      expect(d.code.endsWith('…')).toBe(true);
    }
    const raw = new DatabaseSync(store.file, { readOnly: true });
    const row = raw.prepare('SELECT length(last_code) AS c, length(last_message) AS m FROM entries WHERE seq = ?').get(created[1]!.seq) as {
      c: number;
      m: number;
    };
    raw.close();
    expect(row).toEqual({ c: MAX_CODE_CHARS, m: MAX_MESSAGE_CHARS });
  });

  it('takes over a store of an older build (no manifest) and marks it live while open, closed after', () => {
    const d = dir();
    open(d).close();
    rmSync(join(d, MANIFEST_FILE_NAME));
    const store = open(d);
    expect(JSON.parse(readFileSync(join(d, MANIFEST_FILE_NAME), 'utf8'))).toMatchObject({ wal: 'live' });
    store.close();
    expect(JSON.parse(readFileSync(join(d, MANIFEST_FILE_NAME), 'utf8'))).toMatchObject({ wal: 'closed' });
    // An empty file with no manifest and no WAL is a first start that died early: a new store.
    const e = dir();
    writeFileSync(join(e, STATE_FILE_NAME), '');
    open(e).close();
    // With a manifest it is a store that lost its content.
    truncateSync(join(e, STATE_FILE_NAME), 0);
    expect(() => StateStore.open(e)).toThrow(/damaged: .* is empty \(0 bytes\)/);
  });

  it('keeps the WAL bounded: checkpoints it back once a reader that held it grew it past wal_max_bytes', () => {
    const d = dir();
    const store = StateStore.open(d, { walMaxBytes: 1 << 20 });
    cleanups.push(() => store.isOpen && store.close());
    const reader = new DatabaseSync(store.file, { readOnly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM events').get();
    const body = 'x'.repeat(4000);
    for (let i = 0; i < 800; i++) store.commitEvents([{ eventId: `e${i}`, body, bytes: body.length, sinks: ['s'], deadSinks: [] }], [], 1);
    const wal = `${store.file}-wal`;
    expect(statSync(wal).size).toBeGreaterThan(2 << 20);
    reader.exec('COMMIT');
    reader.close();
    expect(store.boundWal()).toBe(true);
    expect(statSync(wal).size).toBe(0);
    expect(store.boundWal()).toBe(false);
  });
});
