import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sinkEvents, until } from '../file/e2e-helpers.ts';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { freePort } from '../ops/helpers.ts';

/** Mounts a tmpfs of `size` at `dir`; answers why not when this machine cannot (not root, no mount). */
function mountTmpfs(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}): the full-disk test needs root and mount(8)`;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

/** Writes into `dir` until its file system refuses even one more byte. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  try {
    for (const size of [1 << 16, 4096, 512, 1]) {
      const buf = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

function otlpBody(text: string): string {
  return JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: text } }] }] }] });
}

const PAD = 'x'.repeat(300);
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `PAY line-${from + i} ${PAD}\n`).join('');

describe('a full state disk', () => {
  it('is reported as such, pauses intake (OTLP 429), keeps outcomes in memory, and after space returns every event is delivered once more at most', async (ctx) => {
    const s = scratchDir('l2e-full-');
    const mnt = join(s.dir, 'state');
    mkdirSync(mnt);
    mkdirSync(join(s.dir, 'in'));
    const why = mountTmpfs(mnt, '3m');
    if (why) {
      s.cleanup();
      console.warn(`skipped: ${why}`);
      ctx.skip();
      return;
    }
    const port = await freePort();
    const out = join(s.dir, 'out.jsonl');
    const log = join(s.dir, 'in', 'app.log');
    const config = s.write(
      'c.yaml',
      `state_dir: ${mnt}
sources:
  logs: { type: file, include: ["${s.dir}/in/*.log"], start_at: beginning, poll_interval: 50ms }
  otlp: { type: otlp, http: { listen: "127.0.0.1:${port}" }, grpc: false }
sinks: { out: { type: file, path: ${out} } }
delivery: { spool: { hold: 0, wal_max_bytes: 1MiB } }
rules:
  - { name: e, when: { contains: PAY }, event: { name: E, content: "{{body}}" }, to: [out] }
`,
    );
    let agent: Awaited<ReturnType<typeof startCli>> | undefined;
    try {
      appendFileSync(log, lines(0, 1000));
      agent = await startCli(['run', '-c', config]);
      const a = agent;
      await until(
        () => sinkEvents(out).length,
        (n) => n >= 1000,
        '1000 events before the disk fills',
      );

      const filler = fill(mnt);
      appendFileSync(log, lines(1000, 5000));
      await until(
        () => a.stderr(),
        (e) => e.includes(`state_dir ${mnt} is full`),
        'the full disk reported',
        60_000,
      );
      expect(a.stderr()).not.toContain('cannot rollback');

      // Intake pauses: OTLP is answered 429 (a request that found room meanwhile is accepted and
      // must be delivered like any other).
      const accepted: string[] = [];
      let refused = 0;
      for (let i = 0; i < 50 && refused === 0; i++) {
        const text = `PAY otlp-${i}`;
        const r = await fetch(`http://127.0.0.1:${port}/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: otlpBody(text),
        });
        await r.arrayBuffer();
        if (r.status === 429) refused++;
        else if (r.status === 200) accepted.push(text);
        else throw new Error(`OTLP answered ${r.status} while the disk was full`);
      }
      expect(refused, 'an OTLP request refused with 429 while the disk is full').toBe(1);
      // The disk stays full a while (not a synchronisation): long enough for outcome writes to
      // be refused again and again, which used to send the same events again each time.
      await new Promise((r) => setTimeout(r, 3000));

      rmSync(filler);
      const want = new Set([...Array.from({ length: 5000 }, (_, i) => `PAY line-${i} ${PAD}`), ...accepted]);
      await until(
        () => new Set(sinkEvents(out).map((e) => e.content)),
        (got) => [...want].every((c) => got.has(c)),
        'every event delivered after space returned',
        90_000,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; the agent said:\n${a.stderr().slice(-4000)}`);
      });
      const counts = new Map<string, number>();
      for (const e of sinkEvents(out)) counts.set(e.content, (counts.get(e.content) ?? 0) + 1);
      const repeated = [...counts.values()].filter((n) => n > 1).length;
      const most = Math.max(...counts.values());
      console.log(
        `full disk: ${counts.size} events, ${sinkEvents(out).length} deliveries, ${repeated} delivered twice or more, at most ${most} times`,
      );
      expect(most).toBeLessThanOrEqual(2);
      // Only what was in flight when the disk filled may go twice: one file-sink batch (500).
      expect(repeated).toBeLessThanOrEqual(500);
      // Outcomes refused while the disk was full were written once it was not.
      if (a.stderr().includes('cannot record delivery outcomes'))
        expect(a.stderr()).toContain('delivery outcomes written to the state store again');
    } finally {
      if (agent) {
        agent.child.kill('SIGTERM');
        await agent.exited;
      }
      unmount(mnt);
      s.cleanup();
    }
  }, 180_000);
});
