import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dlqCommand } from '../../src/cli/dlq.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { FakeReceiver } from './fake-receiver.ts';
import { sleep, tempDir } from './helpers.ts';

/**
 * Whole-process delivery guarantees: a real `log2events run` reading stdin, spooling under a
 * temporary state_dir and delivering to a loopback webhook through the `http` sink.
 */
describe('log2events run: durable delivery', () => {
  let receiver: FakeReceiver;
  let dir: string;
  let cleanup: () => void;
  let config: string;

  beforeEach(async () => {
    receiver = await new FakeReceiver().start();
    ({ dir, cleanup } = tempDir('l2e-process-'));
    config = join(dir, 'config.yaml');
  });
  afterEach(async () => {
    await receiver.stop();
    cleanup();
  });

  function writeConfig(sinkExtra = '', shutdownTimeout = '5s', spool = ''): void {
    writeFileSync(
      config,
      `state_dir: ./state
delivery: { shutdown_timeout: ${shutdownTimeout}${spool} }
sources: { in: { type: stdin } }
sinks:
  fake: { type: http, url: "${receiver.url}", concurrency: adaptive, retry: { initial: 100ms }${sinkExtra} }
rules:
  - name: all
    when: { contains: "EVT" }
    event: { name: Evt, source: test.app, content: "{{body}}" }
    to: [fake]
`,
    );
  }

  /** Highest spool sequence ever allocated: with one sink, the number of events committed. */
  function committed(): number {
    try {
      const db = new DatabaseSync(join(dir, 'state', 'log2events.db'), { readOnly: true });
      try {
        const row = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'entries'").get() as { seq: number } | undefined;
        return row?.seq ?? 0;
      } finally {
        db.close();
      }
    } catch {
      return 0;
    }
  }

  /** Events in the spool now. */
  function spooled(): number {
    try {
      const db = new DatabaseSync(join(dir, 'state', 'log2events.db'), { readOnly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
      } finally {
        db.close();
      }
    } catch {
      return 0;
    }
  }

  async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  function lines(n: number, tag = 'EVT'): string {
    return Array.from({ length: n }, (_, i) => `${tag} ${i}\n`).join('');
  }

  /** content → ids it was delivered with, over every request the receiver got. */
  function contentIds(from = 0): Map<string, Set<string>> {
    return receiver.requestsWithContent.slice(from).reduce((m, r) => {
      for (const [id, content] of r) {
        if (!m.has(content)) m.set(content, new Set());
        m.get(content)!.add(id);
      }
      return m;
    }, new Map<string, Set<string>>());
  }

  it('kill -9 during delivery loses nothing: a restart delivers the rest, duplicates only from requests in flight', async () => {
    writeConfig(', max_entries: 20');
    receiver.script = () => ({ delayMs: 100 });
    const first = await startCli(['run', '-c', config]);
    first.child.stdin!.write(lines(5000));
    await until(() => committed() >= 5000 && receiver.requests.length >= 20, 'all events committed and delivery under way');
    first.child.kill('SIGKILL');
    await first.exited;
    const boundary = receiver.requests.length;
    const firstIds = new Set(receiver.ids());

    receiver.script = () => ({});
    const second = await runCli(['run', '-c', config, '--once'], { input: '', timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(0);

    const byContent = contentIds();
    expect(byContent.size).toBe(5000);
    // A redelivered event carries its original id.
    for (const ids of byContent.values()) expect(ids.size).toBe(1);
    const secondIds = receiver.requests.slice(boundary).flatMap((r) => r.ids);
    expect(secondIds.length, 'the kill left events to deliver').toBeGreaterThan(0);
    const duplicates = secondIds.filter((id) => firstIds.has(id));
    if (process.env.L2E_REPORT)
      console.log(`kill -9: first run delivered ${firstIds.size}, second ${secondIds.length}, duplicates ${duplicates.length}`);
    // At most what adaptive concurrency (max 16) × 20 entries can have had in flight.
    expect(duplicates.length).toBeLessThanOrEqual(16 * 20);
    expect(new Set(secondIds).size).toBe(secondIds.length);
  }, 60_000);

  it('--once --once-timeout: a sink that stays down does not hold the run; it exits 3, the events stay spooled, and the next run delivers them once', async () => {
    writeConfig();
    receiver.script = () => ({ status: 503 });
    const t0 = Date.now();
    const first = await runCli(['run', '-c', config, '--once', '--once-timeout', '1s'], { input: lines(30), timeoutMs: 30_000 });
    const took = Date.now() - t0;
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toMatch(/"msg":"--once-timeout reached: the undelivered events stay in the spool for the next run"/);
    expect(first.stderr).toMatch(/"msg":"delivery stopped".*"spooled_events":30/);
    expect(receiver.requests.length, 'it did try the sink').toBeGreaterThan(0);
    // bounded by the timeout and the shutdown, not by retry.max_elapsed (1 h)
    expect(took).toBeLessThan(15_000);
    expect(spooled()).toBe(30);

    receiver.script = () => ({});
    const boundary = receiver.requests.length;
    const second = await runCli(['run', '-c', config, '--once', '--once-timeout', '10s'], { input: '', timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(contentIds(boundary).size).toBe(30);
    for (const ids of contentIds(boundary).values()) expect(ids.size).toBe(1);
    expect(spooled()).toBe(0);
  }, 60_000);

  it('refuses --once-timeout without --once, and a malformed duration, with usage errors', async () => {
    writeConfig();
    const alone = await runCli(['run', '-c', config, '--once-timeout', '5s'], { input: '' });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--once-timeout needs --once/);
    const bad = await runCli(['run', '-c', config, '--once', '--once-timeout', 'soon'], { input: '' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--once-timeout: not a duration: soon/);
  });

  it('SIGTERM drains in-flight requests and exits 0; the next start delivers the remainder', async () => {
    // Too short to send all 1,000 at 100 ms per request of 20: some must be left for the next start.
    writeConfig(', max_entries: 20', '400ms');
    receiver.script = () => ({ delayMs: 100 });
    const t0 = Date.now();
    const first = await startCli(['run', '-c', config]);
    if (process.env.L2E_REPORT) console.log(`SIGTERM: started after ${Date.now() - t0} ms`);
    first.child.stdin!.write(lines(1000));
    await until(() => committed() >= 1000, 'all events committed');
    const signalledAt = Date.now();
    const deliveredAtSignal = new Set(receiver.ids()).size;
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const boundary = receiver.requests.length;
    const firstIds = receiver.ids();
    if (process.env.L2E_REPORT)
      console.log(`SIGTERM: ${deliveredAtSignal} delivered at the signal, ${firstIds.length} at exit ${Date.now() - signalledAt} ms later`);

    receiver.script = () => ({});
    const t1 = Date.now();
    const second = await runCli(['run', '-c', config, '--once'], { input: '', timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(0);
    const secondIds = receiver.requests.slice(boundary).flatMap((r) => r.ids);
    if (process.env.L2E_REPORT) console.log(`SIGTERM: next start delivered ${secondIds.length} in ${Date.now() - t1} ms`);
    // Sent twice: only requests still in flight when shutdown_timeout ran out (aborted, unanswered).
    expect(secondIds.filter((id) => firstIds.includes(id)).length).toBeLessThanOrEqual(16 * 20);
    expect(contentIds().size).toBe(1000);
    for (const ids of contentIds().values()) expect(ids.size).toBe(1);
  }, 60_000);

  it('a permanent error dead-letters the event with the sink message; dlq replay delivers it once the sink accepts', async () => {
    writeConfig();
    let accept = false;
    receiver.script = (events) =>
      events.some((e) => e.content.includes('poison')) && !accept ? { status: 400, body: 'poison is not allowed' } : {};
    const agent = await startCli(['run', '-c', config]);
    try {
      agent.child.stdin!.write('EVT poison\n');
      const dlq = async (...args: string[]) => {
        let out = '';
        const io = {
          stdin: process.stdin,
          stdout: new Writable({
            write: (c, _e, cb) => {
              out += String(c);
              cb();
            },
          }),
          stderr: process.stderr,
        };
        const code = await dlqCommand([...args, '-c', config], io);
        return { code, out };
      };
      let listed: { id: number; sink: string; code: string; message: string; event: { content: string; id: string } }[] = [];
      const end = Date.now() + 20_000;
      while (listed.length === 0 && Date.now() < end) {
        listed = JSON.parse((await dlq('list', '--json')).out);
        if (listed.length === 0) await sleep(50);
      }
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({
        sink: 'fake',
        code: 'http_400',
        message: 'poison is not allowed',
        event: { content: 'EVT poison' },
      });
      const table = (await dlq('list')).out;
      expect(table).toContain('http_400');
      expect(JSON.parse((await dlq('show', String(listed[0]!.id))).out)).toMatchObject({ id: listed[0]!.id, attempts: 1 });

      accept = true;
      const before = receiver.requests.length;
      expect((await dlq('replay', '--sink', 'fake')).out).toContain('replayed 1');
      // The running agent notices the replayed entry within its recheck interval (2 s).
      await until(() => receiver.requests.length > before, 'the replayed event', 15_000);
      expect(receiver.requests.at(-1)!.ids).toEqual([listed[0]!.event.id]);
      expect(JSON.parse((await dlq('list', '--json')).out)).toEqual([]);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  }, 60_000);

  it('a full spool (block) holds stdin back until there is room, and nothing is dropped', async () => {
    writeConfig(', max_entries: 10', '5s', ', spool: { max_events: 50, full_policy: block }');
    let most = 0;
    receiver.script = () => {
      most = Math.max(most, spooled());
      return { delayMs: 5 };
    };
    // Lines of 2 KB: a 64 KiB stdin chunk (one commit) carries fewer events than the spool holds.
    const input = Array.from({ length: 1000 }, (_, i) => `EVT ${i} ${'.'.repeat(2000)}\n`).join('');
    const r = await runCli(['run', '-c', config, '--once'], { input, timeoutMs: 50_000 });
    expect(r.code, r.stderr).toBe(0);
    const byContent = contentIds();
    expect(byContent.size).toBe(1000);
    if (process.env.L2E_REPORT) console.log(`spool full: at most ${most} events spooled`);
    // Bounded by max_events, or by one stdin read when that read alone is larger (an empty
    // spool admits any one commit, so that no commit can wait forever): far below all 1,000.
    expect(most).toBeLessThan(200);
    expect(r.stderr).not.toContain('dropped');
  }, 60_000);

  it('refuses to start on a corrupt state store, naming the file, and leaves it untouched', async () => {
    writeConfig();
    const file = join(dir, 'state', 'log2events.db');
    mkdirSync(join(dir, 'state'));
    const garbage = 'not a database '.repeat(500);
    writeFileSync(file, garbage);
    const r = await runCli(['run', '-c', config], { input: '', timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`state store ${file}: damaged: ${file} has no SQLite header`);
    expect(r.stderr).toContain('log2events state reset -c');
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  }, 60_000);
});
