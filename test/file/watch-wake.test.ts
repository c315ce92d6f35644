import { appendFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { sinkEvents, until } from './e2e-helpers.ts';

const scratches: { cleanup(): void }[] = [];
afterEach(() => {
  for (const s of scratches.splice(0)) s.cleanup();
});

/**
 * Runs the agent on `include` with a poll every 60 s, so that within the waits of these tests
 * only watch events (and the passes they start) make a file be read; ERROR lines go to a file sink.
 */
async function watchRun(dir: string, include: string, { source = '', linger = '50ms' }: { source?: string; linger?: string } = {}) {
  const out = join(dir, 'out.jsonl');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `state_dir: ${join(dir, 'state')}
sources:
  app: { type: file, include: ["${include}"], format: plain, start_at: beginning, poll_interval: 60s${source} }
sinks:
  out: { type: file, path: ${out}, fsync: false, batch: { linger: ${linger} } }
rules:
  - name: errors
    when: { contains: "ERROR" }
    event: { name: AppError, source: app.logs, content: "{{body}}" }
    to: [out]
`,
  );
  const agent = await startCli(['run', '-c', config]);
  return {
    contents: () => sinkEvents(out).map((e) => String(e.content)),
    delivered: (n: number, what: string) =>
      until(
        () => sinkEvents(out).length,
        (k) => k === n,
        what,
        30_000,
      ),
    async stop() {
      agent.child.kill('SIGTERM');
      await agent.exited;
    },
  };
}

describe('log2events run: appends are noticed by file-system events', () => {
  for (const include of ['app.log', '*.log', '**/*.log'] as const) {
    it(`delivers lines appended to an open file long before the poll interval comes round (include "DIR/${include}")`, async () => {
      const scratch = scratchDir('l2e-watch-wake-');
      scratches.push(scratch);
      const log = join(scratch.dir, 'app.log');
      writeFileSync(log, 'before ERROR 0\n');
      const run = await watchRun(scratch.dir, join(scratch.dir, include));
      try {
        await run.delivered(1, 'the line present at start');
        // Appended to the open, idle file one after another: each is read on its write's event.
        for (let i = 1; i <= 3; i++) {
          appendFileSync(log, `noise line ${i}\nappended ERROR ${i}\n`);
          await run.delivered(i + 1, `appended line ${i} (before the 60 s poll)`);
        }
        // A file created after start is noticed by its directory's event as well.
        if (include !== 'app.log') {
          writeFileSync(join(scratch.dir, 'new.log'), 'created ERROR 4\n');
          await run.delivered(5, 'the line of a file created after start (before the 60 s poll)');
        }
        expect(run.contents()).toEqual([
          'before ERROR 0',
          'appended ERROR 1',
          'appended ERROR 2',
          'appended ERROR 3',
          ...(include === 'app.log' ? [] : ['created ERROR 4']),
        ]);
      } finally {
        await run.stop();
      }
    }, 120_000);
  }
});

describe('log2events run: writes through a symbolic link are noticed by file-system events', () => {
  it('delivers lines appended to, and a rotation of, the target of a linked file (Kubernetes /var/log/containers) before the poll', async () => {
    const scratch = scratchDir('l2e-watch-link-');
    scratches.push(scratch);
    // /var/log/containers/<name>.log → /var/log/pods/<pod>/<container>/0.log, as the kubelet lays them out.
    const podDir = join(scratch.dir, 'pods', 'ns_pod_uid', 'app');
    mkdirSync(podDir, { recursive: true });
    mkdirSync(join(scratch.dir, 'containers'));
    const target = join(podDir, '0.log');
    writeFileSync(target, 'before ERROR 0\n');
    symlinkSync(target, join(scratch.dir, 'containers', 'pod_ns_app-0123.log'));
    const run = await watchRun(scratch.dir, join(scratch.dir, 'containers', '*.log'));
    try {
      await run.delivered(1, 'the line present at start');
      appendFileSync(target, 'appended ERROR 1\n');
      await run.delivered(2, 'a line appended to the link target (before the 60 s poll)');
      // Rotated as the kubelet does: the file is renamed and a new one takes its name.
      renameSync(target, `${target}.20261202-120000`);
      writeFileSync(target, 'rotated ERROR 2\n');
      await run.delivered(3, 'the first line of the new target after a rotation (before the 60 s poll)');
      expect(run.contents()).toEqual(['before ERROR 0', 'appended ERROR 1', 'rotated ERROR 2']);
    } finally {
      await run.stop();
    }
  }, 120_000);
});

describe('log2events run: a directory watch muted until the pass a write asked for loses nothing', () => {
  it('delivers what was written to, or created beside, a busy file while its watch waited for the pass', async () => {
    const scratch = scratchDir('l2e-watch-mute-');
    scratches.push(scratch);
    const busy = join(scratch.dir, 'busy.log');
    const quiet = join(scratch.dir, 'quiet.log');
    writeFileSync(busy, '');
    writeFileSync(quiet, '');
    const run = await watchRun(scratch.dir, join(scratch.dir, '*.log'), { source: ', watch_interval: 200ms', linger: '20ms' });
    const expected: string[] = [];
    try {
      for (let i = 1; i <= 3; i++) {
        // The write to the busy file mutes the directory's watch until the pass 200 ms later; the
        // quiet file's write and the new file, right after it, raise no event of their own.
        appendFileSync(busy, `busy ERROR ${i}\n`);
        appendFileSync(quiet, `quiet ERROR ${i}\n`);
        writeFileSync(join(scratch.dir, `new-${i}.log`), `new ERROR ${i}\n`);
        expected.push(`busy ERROR ${i}`, `quiet ERROR ${i}`, `new ERROR ${i}`);
        await run.delivered(
          expected.length,
          `round ${i}: the busy file's line, the quiet file's and the new file's (before the 60 s poll)`,
        );
      }
      expect(run.contents().sort()).toEqual([...expected].sort());
    } finally {
      await run.stop();
    }
  }, 120_000);
});
