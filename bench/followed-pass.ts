/**
 * What a poll's look at a followed file that grew costs: the stat and the checks that tell an
 * append from a truncation or a rewrite (the file source does one per file written to, on every
 * wake-up pass, ~10 a second with the default `watch_interval`).
 *
 *   node bench/followed-pass.ts [--looks 3000] [--src DIR]
 *
 * A 21 KiB file is attached and its last KiB marked as read; then, `--looks` times, a line of
 * 211 bytes is appended and `Examiner.look` is awaited. Prints the process's CPU per look (the
 * thread pool's included) less that of the appends alone, and the wall time per look. `--src`
 * takes the file source from another checkout's `src/` (A/B runs against this one's).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { looks: { type: 'string', default: '3000' }, src: { type: 'string', default: resolve(import.meta.dirname, '../src') } },
});
const looks = Number(values.looks);
const src = resolve(values.src);

const { silentLogger }: typeof import('../src/observability/logger.ts') = await import(join(src, 'observability/logger.ts'));
const config: typeof import('../src/sources/file/config.ts') = await import(join(src, 'sources/file/config.ts'));
const { FileCursor }: typeof import('../src/sources/file/cursor.ts') = await import(join(src, 'sources/file/cursor.ts'));
const { DescriptorPool }: typeof import('../src/sources/file/descriptors.ts') = await import(join(src, 'sources/file/descriptors.ts'));
const { Examiner }: typeof import('../src/sources/file/examiner.ts') = await import(join(src, 'sources/file/examiner.ts'));
const { FileRegistry }: typeof import('../src/sources/file/file-registry.ts') = await import(join(src, 'sources/file/file-registry.ts'));
const { createDecoder }: typeof import('../src/sources/file/formats/index.ts') = await import(join(src, 'sources/file/formats/index.ts'));
type TrackedFile = import('../src/sources/file/tracked-file.ts').TrackedFile;

const dir = mkdtempSync(join(tmpdir(), 'l2e-followed-pass-'));
// Checkouts before d10ca13 export the schema itself rather than a function that builds it.
const exported: unknown = config.fileSourceSchema;
const schema = typeof exported === 'function' ? config.fileSourceSchema() : (exported as ReturnType<typeof config.fileSourceSchema>);
const cfg = schema.parse({ type: 'file', include: ['x'], format: 'plain' });
const registry = new FileRegistry<TrackedFile>();
const descriptors = new DescriptorPool<TrackedFile>(64, () => {});
const fail = (what: string) => {
  throw new Error(`unexpected: ${what}`);
};
const examiner = new Examiner({
  config: cfg,
  identity: {
    fingerprintBytes: cfg.fingerprint_bytes,
    rotateWait: 1_000,
    detectsFormat: false,
    flushTimeoutMs: config.flushTimeoutMs(cfg),
    startAtEnd: false,
  },
  registry,
  descriptors,
  logger: silentLogger,
  onTruncated: () => fail('truncated'),
  warnOnce: (_path, msg) => fail(msg),
  detach: async () => fail('detached'),
  cursorFor: (f, format) =>
    new FileCursor(f.position, {
      maxLineBytes: 1 << 20,
      decoder: createDecoder(format, cfg),
      multiline: undefined,
      literals: null,
      guard: 'none',
      onEntry: () => {},
      onTruncated: () => {},
    }),
});

const path = join(dir, 'app.log');
const line = `${'x'.repeat(210)}\n`;
const backlog = Buffer.from(line.repeat(100));
writeFileSync(path, backlog);
await examiner.look(path, false);
for (const [queued, initial] of examiner.batch(64)) {
  examiner.dequeue(queued);
  await examiner.examine(queued, initial, []);
}
const f = registry.attached()[0];
if (!f?.open) throw new Error('not attached');
// What the tailer keeps of a read: the tail check has bytes to compare.
f.open.readTail.update(backlog, backlog.length);

async function run(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    appendFileSync(path, line);
    const found = await examiner.look(path, false);
    if (typeof found !== 'object' || found.followed !== f) fail('not followed');
  }
}

await run(300); // warm-up
const cpu = process.cpuUsage();
const wall = performance.now();
await run(looks);
const spent = process.cpuUsage(cpu);
const perLookWall = ((performance.now() - wall) * 1000) / looks;
const appends = process.cpuUsage();
for (let i = 0; i < looks; i++) appendFileSync(path, line);
const appendsSpent = process.cpuUsage(appends);
const perLook = (spent.user + spent.system - appendsSpent.user - appendsSpent.system) / looks;
console.log(`${src}: ${perLook.toFixed(1)} µs of CPU per look of a grown file, wall ${perLookWall.toFixed(1)} µs`);
if (f.open.fh) await descriptors.close(f.open.fh, f);
rmSync(dir, { recursive: true });
