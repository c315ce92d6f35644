import { existsSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_FILE_NAME } from '../../src/store/integrity.ts';
import { STATE_FILE_NAME, StateStore } from '../../src/store/state-store.ts';
import { sinkEvents } from '../file/e2e-helpers.ts';
import { runCli, scratchDir, startCli } from '../helpers/cli.ts';
import { adminOf, freePort } from '../ops/helpers.ts';

/** A config reading stdin into a file sink; its state store in `dir`/state. */
function setup() {
  const s = scratchDir('l2e-state-');
  const state = join(s.dir, 'state');
  const out = join(s.dir, 'out.jsonl');
  const config = s.write(
    'c.yaml',
    `state_dir: ${state}\nsources: { in: { type: stdin } }\nsinks: { out: { type: file, path: ${out} } }\nrules:\n  - { name: e, when: { contains: PAY }, event: { name: E, content: "{{body}}" }, to: [out] }\n`,
  );
  return { s, state, out, config, db: join(state, STATE_FILE_NAME) };
}

const lines = (n: number, tag = 'PAY') => Array.from({ length: n }, (_, i) => `${tag} ${i}\n`).join('');

/** One line on stderr, no stack trace. */
function expectOneLine(stderr: string): void {
  const text = stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('{'));
  expect(text, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** A seeded xorshift generator: the seed is in the test name, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('log2events state and a damaged store', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('stops on a zero-length store that existed, names the way out; reset moves it aside and the next run starts afresh', async () => {
    const t = setup();
    cleanups.push(t.s.cleanup);
    const first = await runCli(['run', '-c', t.config, '--once'], { input: lines(5) });
    expect(first.code, first.stderr).toBe(0);
    expect(sinkEvents(t.out)).toHaveLength(5);
    // A clean stop and a second start: a sound store is not mistaken for a damaged one.
    const again = await runCli(['run', '-c', t.config, '--once'], { input: '' });
    expect(again.code, again.stderr).toBe(0);

    truncateSync(t.db, 0);
    const run = await runCli(['run', '-c', t.config, '--once'], { input: lines(5) });
    expect(run.code).toBe(1);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain(`${t.db}: damaged: ${t.db} is empty (0 bytes)`);
    expect(run.stderr).toContain(`log2events state reset -c ${t.config}`);
    expect(sinkEvents(t.out)).toHaveLength(5); // nothing delivered again

    const dlq = await runCli(['dlq', 'list', '-c', t.config]);
    expect(dlq.code).toBe(1);
    expectOneLine(dlq.stderr);
    expect(dlq.stderr).toContain('is empty (0 bytes)');

    const check = await runCli(['state', 'check', '-c', t.config]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${t.db}: damaged`);

    const reset = await runCli(['state', 'reset', '-c', t.config]);
    expect(reset.code, reset.stderr).toBe(0);
    const aside = readdirSync(t.state).find((n) => n.startsWith('damaged-'));
    expect(aside, reset.stdout).toBeDefined();
    expect(readdirSync(join(t.state, aside!)).sort()).toEqual([STATE_FILE_NAME, MANIFEST_FILE_NAME].sort());
    expect(reset.stdout).toContain(`moved ${STATE_FILE_NAME}`);

    const fresh = await runCli(['run', '-c', t.config, '--once'], { input: lines(2, 'PAY new') });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(sinkEvents(t.out)).toHaveLength(7);
    expect((await runCli(['state', 'check', '-c', t.config])).stdout).toContain(`${t.db}: ok`);
    // A sound store is only moved aside on request.
    const refused = await runCli(['state', 'reset', '-c', t.config]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is sound');
  });

  it('refuses a store without a SQLite header', async () => {
    const t = setup();
    cleanups.push(t.s.cleanup);
    expect((await runCli(['run', '-c', t.config, '--once'], { input: lines(1) })).code).toBe(0);
    const fd = openSync(t.db, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    closeSync(fd);
    const run = await runCli(['run', '-c', t.config, '--once'], { input: '' });
    expect(run.code).toBe(1);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain('has no SQLite header');
  });

  it.each([7, 1234])('finds random bytes in dead-letter pages at start and in dlq (seed %i): one line, no stack trace', async (seed) => {
    const t = setup();
    cleanups.push(t.s.cleanup);
    const store = StateStore.open(t.state);
    const body = 'x'.repeat(900);
    for (let i = 0; i < 300; i++) {
      store.commitEvents(
        [{ eventId: `e${i}`, body, bytes: body.length, sinks: [], deadSinks: [{ sink: 'out', code: 'rejected', message: `no ${i}` }] }],
        [],
        Date.now(),
      );
    }
    store.close();
    const raw = new DatabaseSync(t.db, { readOnly: true });
    const { rootpage } = raw.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'dead_letters'").get() as { rootpage: number };
    const { page_size } = raw.prepare('PRAGMA page_size').get() as { page_size: number };
    raw.close();
    const rnd = random(seed);
    const fd = openSync(t.db, 'r+');
    for (const page of [rootpage, rootpage + 3, rootpage + 20]) {
      const junk = Buffer.alloc(page_size);
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
      writeSync(fd, junk, 0, junk.length, (page - 1) * page_size);
    }
    closeSync(fd);

    const dlq = await runCli(['dlq', 'list', '-c', t.config]);
    expect(dlq.code, `seed ${seed}`).toBe(1);
    expectOneLine(dlq.stderr);
    expect(dlq.stderr).toContain(`${t.db}: damaged`);
    const run = await runCli(['run', '-c', t.config, '--once'], { input: lines(1) });
    expect(run.code, `seed ${seed}`).toBe(1);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain(`${t.db}: damaged`);
    const check = await runCli(['state', 'check', '-c', t.config]);
    expect(check.code).toBe(1);
  });

  it('stops when the WAL of a store that crashed while open is gone; a crash with the WAL in place is recovered', async () => {
    const t = setup();
    cleanups.push(t.s.cleanup);
    const agent = await startCli(['run', '-c', t.config]);
    agent.child.stdin!.write(lines(3));
    const wal = `${t.db}-wal`;
    expect(existsSync(wal)).toBe(true);
    agent.child.kill('SIGKILL');
    await agent.exited;
    // Opened and closed alongside (no agent): the WAL is checkpointed into the store, and that is no loss.
    const dlq = await runCli(['dlq', 'list', '-c', t.config]);
    expect(dlq.code, dlq.stderr).toBe(0);
    const ok = await runCli(['run', '-c', t.config, '--once'], { input: '' });
    expect(ok.code, ok.stderr).toBe(0);

    const second = await startCli(['run', '-c', t.config]);
    second.child.stdin!.write(lines(3));
    rmSync(wal);
    second.child.kill('SIGKILL');
    await second.exited;
    const run = await runCli(['run', '-c', t.config, '--once'], { input: '' });
    expect(run.code).toBe(1);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain(`the write-ahead log ${wal} is missing`);
    const check = await runCli(['state', 'check', '-c', t.config]);
    expect(check.code).toBe(1);
    // The check itself must not make the loss disappear.
    expect((await runCli(['run', '-c', t.config, '--once'], { input: '' })).code).toBe(1);
  });

  it('state reset refuses while an agent runs', async () => {
    const t = setup();
    cleanups.push(t.s.cleanup);
    const agent = await startCli(['run', '-c', t.config]);
    try {
      const reset = await runCli(['state', 'reset', '-c', t.config, '--force']);
      expect(reset.code).toBe(1);
      expect(reset.stderr).toContain('in use by another log2events process');
      expect(existsSync(t.db)).toBe(true);
      // check works alongside
      const check = await runCli(['state', 'check', '-c', t.config]);
      expect(check.code, check.stderr).toBe(0);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  });

  it('repairs a WAL removed under a running agent: a crash after that loses no acknowledged event', async () => {
    const t = setup();
    cleanups.push(t.s.cleanup);
    const closed = await freePort();
    // A sink nobody listens on: every event stays in the spool.
    const down = t.s.write(
      'down.yaml',
      readFileSync(t.config, 'utf8')
        .replace(/out: \{ type: file[^}]*\}/, `out: { type: http, url: "http://127.0.0.1:${closed}/", retry: { initial: 1s, max: 5s } }`)
        .replace('sources:', 'admin: { listen: "127.0.0.1:0" }\nsources:'),
    );
    const agent = await startCli(['run', '-c', down]);
    const admin = adminOf(agent.stderr());
    const spooled = async () => ((await (await fetch(`${admin}/status`)).json()) as { spool: { events: number } }).spool.events;
    agent.child.stdin!.write(lines(50, 'PAY a'));
    await until(async () => (await spooled()) >= 50, 'the first 50 events spooled');
    rmSync(`${t.db}-wal`);
    agent.child.stdin!.write(lines(50, 'PAY b'));
    await until(
      async () => (await spooled()) >= 100 && agent.stderr().includes('write-ahead log was removed'),
      'the next 50 spooled and the log repaired',
    );
    expect(existsSync(`${t.db}-wal`)).toBe(true);
    agent.child.kill('SIGKILL');
    await agent.exited;
    const up = await runCli(['run', '-c', t.config, '--once'], { input: '' });
    expect(up.code, up.stderr).toBe(0);
    const got = new Set(sinkEvents(t.out).map((e) => e.content));
    expect(got.size).toBe(100);
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
