import {
  appendFileSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  writeSync,
  readlinkSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.ts';
import { fileSourceSchema } from '../../src/sources/file/config.ts';
import { FileSource } from '../../src/sources/file/index.ts';
import { scratchDir } from '../helpers/cli.ts';
import { fakeContext, LiteralProcessor, MemoryIntake, waitFor } from './fake-context.ts';

const scratches: { cleanup(): void }[] = [];
const running: FileSource[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
  for (const s of scratches.splice(0)) s.cleanup();
});

function setup() {
  const scratch = scratchDir('l2e-file-');
  scratches.push(scratch);
  const intake = new MemoryIntake();
  return { dir: scratch.dir, intake };
}

async function startSource(intake: MemoryIntake, options: Record<string, unknown>, literals: string[] | null = ['ERROR']) {
  const config = fileSourceSchema().parse({ type: 'file', poll_interval: 20, rotate_wait: 300, format: 'plain', ...options });
  const metrics = new Metrics();
  const source = new FileSource('app', config, metrics);
  const processor = new LiteralProcessor(literals);
  const ctx = fakeContext(intake, processor);
  await source.start(ctx);
  running.push(source);
  return { source, processor, metrics, ctx };
}

const lines = (from: number, to: number, tag = 'ERROR') =>
  Array.from({ length: to - from }, (_, i) => `line ${from + i} ${tag} ${'p'.repeat((from + i) % 50)}\n`).join('');
const contents = (intake: MemoryIntake) => intake.events.map((e) => e.content);
const expectExactlyOnce = (intake: MemoryIntake, n: number) => {
  const got = contents(intake).map((c) => Number(c.split(' ')[1]));
  expect(new Set(got).size).toBe(got.length);
  expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
};

describe('file source tailing real files', () => {
  it('start_at: end skips what was there at start; later lines and later files are read from their beginning', async () => {
    const { dir, intake } = setup();
    writeFileSync(join(dir, 'old.log'), 'old ERROR before start\nhalf a line ERR');
    const { processor } = await startSource(intake, { include: [join(dir, '*.log')], start_at: 'end' });
    appendFileSync(join(dir, 'old.log'), 'OR, its rest\nnew ERROR after start\n');
    writeFileSync(join(dir, 'later.log'), 'first ERROR of a later file\n');
    await waitFor(() => intake.events.length === 2, 'two events');
    expect(contents(intake).sort()).toEqual(['first ERROR of a later file', 'new ERROR after start']);
    const rec = processor.seen.find((r) => r.body === 'new ERROR after start')!;
    expect(rec.attributes).toMatchObject({ 'log.file.path': join(dir, 'old.log'), 'log.file.name': 'old.log' });
    // origin = file id : offset of the line (after the 51 bytes that were there or completed them)
    expect(rec.origin).toMatch(/^[0-9a-f]{16}.*:51$/);
    expect(rec.severityText).toBe('ERROR');
  });

  it('notices new files, new directories and new symlinks through the directory watch, before any poll is due', async () => {
    const { dir, intake } = setup();
    mkdirSync(join(dir, 'a'));
    // with a 1 h poll interval only the watcher can find these files within the wait below
    await startSource(intake, { include: [join(dir, '**/*.log')], poll_interval: '1h' });
    writeFileSync(join(dir, 'a', 'one.log'), 'one ERROR\n');
    await waitFor(() => intake.events.length === 1, 'file in a watched directory');
    mkdirSync(join(dir, 'a', 'deeper'));
    writeFileSync(join(dir, 'a', 'deeper', 'two.log'), 'two ERROR\n');
    await waitFor(() => intake.events.length === 2, 'file in a new directory');
    writeFileSync(join(dir, 'target.txt'), 'three ERROR\n');
    symlinkSync(join(dir, 'target.txt'), join(dir, 'a', 'link.log'));
    await waitFor(() => intake.events.length === 3, 'symlink to a file');
    expect(contents(intake).sort()).toEqual(['one ERROR', 'three ERROR', 'two ERROR']);
  });

  it('dates the commit of an append from the write event that announced it: the sink lingers from there', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    const commits: { noticedAt: number | undefined; at: number; events: number }[] = [];
    const commit = intake.commit.bind(intake);
    intake.commit = (events, checkpoints, options) => {
      if (events.length > 0) commits.push({ noticedAt: options?.noticedAt, at: Date.now(), events: events.length });
      return commit(events, checkpoints, options);
    };
    // with a 1 h poll interval only the write event can start the read
    await startSource(intake, { include: [log], poll_interval: '1h' });
    const before = Date.now();
    appendFileSync(log, 'one ERROR\n');
    await waitFor(() => intake.events.length === 1, 'the appended line');
    expect(commits).toHaveLength(1);
    expect(commits[0]?.noticedAt).toBeGreaterThanOrEqual(before);
    expect(commits[0]?.noticedAt).toBeLessThanOrEqual(commits[0]?.at ?? 0);
  });

  it('start_at: beginning reads existing files whole; excluded files are not read', async () => {
    const { dir, intake } = setup();
    writeFileSync(join(dir, 'a.log'), lines(0, 3));
    writeFileSync(join(dir, 'skip.log'), lines(100, 103));
    await startSource(intake, { include: [join(dir, '**/*.log')], exclude: ['**/skip.log'], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 3, 'three events');
    expectExactlyOnce(intake, 3);
  });

  it("auto: waits for a new file's first line to be complete before judging its format", async () => {
    const { dir, intake } = setup();
    const { processor } = await startSource(intake, { include: [join(dir, '*.log')], format: 'auto' });
    const log = join(dir, 'c.log');
    writeFileSync(log, '2024-01-01T00:00:00.1Z std'); // a CRI line caught half-written
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(log, 'err F ERROR one\n2024-01-01T00:00:00.2Z stdout F ERROR two\n');
    await waitFor(() => intake.events.length === 2, 'two events');
    expect(processor.seen.map((r) => [r.body, r.attributes['log.iostream']])).toEqual([
      ['ERROR one', 'stderr'],
      ['ERROR two', 'stdout'],
    ]);
  });

  it('skips compressed rotated files that an app.log* glob takes in', async () => {
    const { dir, intake } = setup();
    writeFileSync(join(dir, 'app.log'), lines(0, 5));
    writeFileSync(join(dir, 'app.log.2.gz'), gzipSync(lines(100, 200)));
    const { source } = await startSource(intake, { include: [join(dir, 'app.log*')], start_at: 'beginning' });
    await source.drained();
    expectExactlyOnce(intake, 5);
  });

  it('follows rename+create rotation: drains the old file, reads the new one from 0, no line twice', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 100));
    await startSource(intake, { include: [join(dir, 'app.log*')], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 100, 'first batch');
    appendFileSync(log, lines(100, 150));
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, lines(150, 160)); // the writer still had the old file open
    writeFileSync(log, lines(160, 200));
    await waitFor(() => intake.events.length >= 200, 'all lines');
    renameSync(`${log}.1`, `${log}.2`);
    appendFileSync(log, lines(200, 210));
    await waitFor(() => intake.events.length >= 210, 'lines after the second rename');
    expectExactlyOnce(intake, 210);
  });

  it('drains a file renamed out of the glob through its open descriptor (include: app.log only)', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 20));
    await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 20, 'first lines');
    renameSync(log, join(dir, 'old.1'));
    appendFileSync(join(dir, 'old.1'), lines(20, 30)); // written before the app reopened its log
    writeFileSync(log, lines(30, 40));
    await waitFor(() => intake.events.length >= 40, 'drained and new');
    expectExactlyOnce(intake, 40);
    // every commit may be delivered from memory; once the file left the glob, what is held
    // must be spooled: after a crash, nothing would find it again
    expect(intake.replayable).toBe(intake.commits);
    expect(intake.secured).toBeGreaterThanOrEqual(1);
  });

  it('follows copytruncate: the copy continues where reading stopped, the truncated file restarts at 0', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 100));
    const { metrics } = await startSource(intake, { include: [join(dir, 'app.log*')], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 100, 'first batch');
    for (let round = 0; round < 3; round++) {
      const base = 100 + round * 100;
      appendFileSync(log, lines(base, base + 50)); // written just before the copy: maybe not read yet
      copyFileSync(log, `${log}.1.tmp`);
      renameSync(`${log}.1.tmp`, `${log}.1`);
      truncateSync(log, 0);
      appendFileSync(log, lines(base + 50, base + 100));
      await waitFor(() => intake.events.length >= base + 100, `round ${round}`);
    }
    expectExactlyOnce(intake, 400);
    expect(metrics.total('log2events_file_truncations_total')).toBeGreaterThanOrEqual(3);
    expect(intake.secured).toBeGreaterThanOrEqual(3); // at each truncation
  });

  it('reads two live files that start with the same banner (longer than the fingerprint) as two files', async () => {
    const { dir, intake } = setup();
    const banner = `${'=== service banner, build 1.2.3 ==='.repeat(60)}\n`;
    writeFileSync(join(dir, 'a.log'), banner + lines(0, 10));
    await startSource(intake, { include: [join(dir, '*.log')], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 10, 'first file');
    writeFileSync(join(dir, 'b.log'), banner + lines(10, 20));
    await waitFor(() => intake.events.length === 20, 'second file');
    expectExactlyOnce(intake, 20);
  });

  /** Rewrites `path` in place from its first byte (no truncation: the file only grows). */
  function rewriteInPlace(path: string, text: string): void {
    const fd = openSync(path, 'r+');
    writeSync(fd, text, 0);
    closeSync(fd);
  }

  it('rereads a file rewritten in place behind an unchanged banner (live), counted as a truncation', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    const banner = `${'=== service banner, build 1.2.3 ==='.repeat(40)}\n`;
    writeFileSync(log, banner + lines(0, 300, 'ERROR old'));
    const { metrics } = await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 300, 'the first content');
    rewriteInPlace(log, banner + lines(0, 600, 'ERROR new'));
    await waitFor(() => contents(intake).filter((c) => c.includes('ERROR new')).length >= 600, 'the rewritten content, all of it');
    const fresh = contents(intake).filter((c) => c.includes('ERROR new'));
    expect(new Set(fresh).size).toBe(600);
    expect(fresh).toHaveLength(600);
    expect(metrics.total('log2events_file_truncations_total')).toBeGreaterThanOrEqual(1);
  });

  it('rereads a file rewritten in place behind an unchanged banner while the source was stopped', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    const banner = `${'=== service banner, build 1.2.3 ==='.repeat(40)}\n`;
    writeFileSync(log, banner + lines(0, 300, 'ERROR old'));
    const first = await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 300, 'the first content');
    await first.source.stop();
    rewriteInPlace(log, banner + lines(0, 600, 'ERROR new'));
    const { metrics } = await startSource(intake, { include: [log], start_at: 'end' });
    await waitFor(() => contents(intake).filter((c) => c.includes('ERROR new')).length >= 600, 'the rewritten content, all of it');
    expect(contents(intake).filter((c) => c.includes('ERROR new'))).toHaveLength(600);
    expect(metrics.total('log2events_file_truncations_total')).toBe(1);
    // An append is not a rewrite: a restart after it resumes where it stopped.
    appendFileSync(log, lines(600, 610, 'ERROR new'));
    await waitFor(() => contents(intake).filter((c) => c.includes('ERROR new')).length >= 610, 'the appended lines');
    expect(metrics.total('log2events_file_truncations_total')).toBe(1);
  });

  it('holds at most max_open_files descriptors: the least recently active files are closed, and reopened at their offset', async () => {
    const { dir, intake } = setup();
    const n = 200;
    for (let i = 0; i < n; i++) writeFileSync(join(dir, `f${i}.log`), lines(i * 10, i * 10 + 5));
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, fds())), 5);
    try {
      const { metrics } = await startSource(intake, { include: [join(dir, '*.log')], start_at: 'beginning', max_open_files: 16 });
      await waitFor(() => intake.events.length === n * 5, 'the first lines of every file');
      for (let i = 0; i < n; i++) appendFileSync(join(dir, `f${i}.log`), lines(i * 10 + 5, i * 10 + 10));
      await waitFor(() => intake.events.length >= n * 10, 'the appended lines of every file', 30_000);
      expectExactlyOnce(intake, n * 10);
      expect(metrics.total('log2events_file_open_files')).toBeLessThanOrEqual(16);
    } finally {
      clearInterval(sampler);
    }
    // The watcher, the test's own: a few more than the bound.
    expect(most - before).toBeLessThanOrEqual(16 + 8);
  });

  it('resumes after a restart exactly where it stopped', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 500));
    const first = await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 500, 'first run');
    await first.source.stop();
    appendFileSync(log, lines(500, 700));
    // start_at: end must not matter: the file has a checkpoint
    await startSource(intake, { include: [log], start_at: 'end' });
    await waitFor(() => intake.events.length >= 700, 'second run');
    expectExactlyOnce(intake, 700);
    // events of one line keep their ids across runs: origin = fingerprint:offset
    expect(new Set(intake.events.map((e) => e.id)).size).toBe(700);
  });

  it('reads a file rotated and replaced while the agent was down (successor read from 0)', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 50));
    const first = await startSource(intake, { include: [join(dir, 'app.log*')], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 50, 'first run');
    await first.source.stop();
    appendFileSync(log, lines(50, 60));
    renameSync(log, `${log}.1`);
    writeFileSync(log, lines(60, 80));
    await startSource(intake, { include: [join(dir, 'app.log*')], start_at: 'end' });
    await waitFor(() => intake.events.length >= 80, 'second run');
    expectExactlyOnce(intake, 80);
  });

  it('retries the same commit when the spool is full (block backpressure), losing nothing', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    intake.fullAnswers = 5;
    writeFileSync(log, lines(0, 300));
    await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 300, 'all events');
    expect(intake.roomWaits).toBe(5);
    expectExactlyOnce(intake, 300);
  });

  it('reads again from the committed position after a round fails (nothing lost, nothing doubled)', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 100));
    const config = fileSourceSchema().parse({ type: 'file', include: [log], start_at: 'beginning', poll_interval: 20, format: 'plain' });
    const processor = new LiteralProcessor(['ERROR']);
    let failures = 0;
    const flaky = {
      literalsFor: () => processor.literalsFor(),
      process: (record: Parameters<LiteralProcessor['process']>[0]) => {
        // the 50th record of the first pass fails: 49 events were gathered but not committed
        if (failures === 0 && processor.seen.length === 49) {
          failures++;
          throw new Error('rule blew up');
        }
        return processor.process(record);
      },
    };
    const source = new FileSource('app', config, new Metrics());
    running.push(source);
    await source.start(fakeContext(intake, flaky));
    await waitFor(() => intake.events.length >= 100, 'all events');
    expect(failures).toBe(1);
    expectExactlyOnce(intake, 100);
  });

  it('commits a checkpoint for chunks without events, and hands only matching regions to the rules', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 1000, 'info') + 'the one ERROR line\n' + lines(0, 1000, 'info'));
    const { processor } = await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 1, 'the event');
    // the fast path handed over the one line that holds the literal, not the 2000 others
    expect(processor.seen.map((r) => r.body)).toEqual(['the one ERROR line']);
    const [cp] = [...intake.checkpoints('app').values()];
    await waitFor(
      () => JSON.parse([...intake.checkpoints('app').values()][0]!).offset === Buffer.byteLength(lines(0, 1000, 'info')) * 2 + 19,
      'checkpoint at the end',
    );
    expect(cp).toBeDefined();
  });

  it('commits a multi-chunk backlog once per turn, with every event and the final position', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    // ~13 MiB: 26 reads of 512 KiB, one turn (up to 32 reads); one ERROR line in the first and one in the last
    const filler = lines(0, 1000, 'info');
    const repeats = Math.ceil((13 << 20) / Buffer.byteLength(filler));
    const text = 'first ERROR\n' + filler.repeat(repeats) + 'last ERROR\n';
    writeFileSync(log, text);
    await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(
      () => JSON.parse([...intake.checkpoints('app').values()][0] ?? '{"offset":0}').offset === Buffer.byteLength(text),
      'checkpoint at the end',
    );
    expect(contents(intake)).toEqual(['first ERROR', 'last ERROR']);
    // one transaction (one fsync in the real spool) for the turn instead of one per chunk; the
    // other one is the new file's first checkpoint
    expect(intake.commits).toBeLessThanOrEqual(2);
  });

  it('keeps commits small where every line matches: reads shrink to about 128 events each', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    // ~14 MiB where every ~210-byte line matches: one 512 KiB read alone would yield ~2,500 events
    const n = 70_000;
    const text = Array.from({ length: n }, (_, i) => `line ${i} ERROR ${'x'.repeat(200)}\n`).join('');
    writeFileSync(log, text);
    const sizes: number[] = [];
    const commit = intake.commit.bind(intake);
    intake.commit = (events, checkpoints, options) => {
      sizes.push(events.length);
      return commit(events, checkpoints, options);
    };
    await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === n, 'all events');
    // the first two reads (the second is issued before the first is seen) are whole chunks;
    // after them a read yields at most ~128 events, and a commit closes at 128
    expect(Math.max(...sizes.slice(0, 3))).toBeLessThanOrEqual(Math.ceil((512 << 10) / 210));
    expect(Math.max(...sizes.slice(3))).toBeLessThanOrEqual(2 * 128);
    expect(sizes.length).toBeGreaterThan(n / 300);
  });

  it('cuts a line longer than max_line_bytes, counts it, and reads on', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, `ERROR ${'y'.repeat(200_000)}\n` + lines(0, 3));
    const { metrics } = await startSource(intake, { include: [log], start_at: 'beginning', max_line_bytes: '64KiB' });
    await waitFor(() => intake.events.length === 4, 'events');
    expect(intake.events[0]!.content).toBe(`ERROR ${'y'.repeat(65536 - 6)}`);
    expect(metrics.total('log2events_file_lines_truncated_total')).toBe(1);
  });

  it('completes a partial last line after the flush timeout', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, 'complete ERROR\nno newline ERROR');
    await startSource(intake, { include: [log], start_at: 'beginning', multiline: { start_pattern: '^\\S', timeout: '100ms' } });
    await waitFor(() => intake.events.length === 2, 'partial line flushed');
    expect(contents(intake)).toEqual(['complete ERROR', 'no newline ERROR']);
  });

  it('releases a deleted file (no descriptor held past rotate_wait)', async () => {
    const { dir, intake } = setup();
    const log = join(dir, 'gone.log');
    writeFileSync(log, lines(0, 10));
    await startSource(intake, { include: [log], start_at: 'beginning' });
    await waitFor(() => intake.events.length === 10, 'events');
    const heldOpen = () =>
      readdirSync('/proc/self/fd').some((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(log);
        } catch {
          return false;
        }
      });
    expect(heldOpen()).toBe(true);
    unlinkSync(log);
    await waitFor(() => !heldOpen(), 'descriptor released');
    expect(intake.secured).toBeGreaterThanOrEqual(1);
  });

  it('follows Kubernetes symlinks once per file, merges CRI partials and attributes the pod', async () => {
    const { dir, intake } = setup();
    const uid = '5b1e7f0c-1111-4222-8333-944455556666';
    const podDir = join(dir, 'pods', `shop_web-1_${uid}`, 'nginx');
    mkdirSync(podDir, { recursive: true });
    mkdirSync(join(dir, 'containers'));
    writeFileSync(join(podDir, '0.log'), '2024-01-01T00:00:00.5Z stderr P upstream ERR\n2024-01-01T00:00:00.6Z stderr F OR timed out\n');
    symlinkSync(join(podDir, '0.log'), join(dir, 'containers', `web-1_shop_nginx-${'b'.repeat(64)}.log`));
    const { processor } = await startSource(intake, {
      include: [join(dir, 'containers/*.log'), join(dir, 'pods/**/*.log')],
      start_at: 'beginning',
      format: 'auto',
    });
    await waitFor(() => intake.events.length === 1, 'merged event');
    expect(contents(intake)).toEqual(['upstream ERROR timed out']);
    const rec = processor.seen.find((r) => r.body === 'upstream ERROR timed out')!;
    expect(rec.resource).toMatchObject({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'web-1',
      'k8s.pod.uid': uid,
      'k8s.container.name': 'nginx',
    });
    expect(rec.timeUnixNano).toBe(1704067200500000000n);
    expect(rec.attributes['log.iostream']).toBe('stderr');
    rmSync(join(dir, 'containers'), { recursive: true });
  });
});
