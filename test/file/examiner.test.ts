import { copyFileSync, mkdirSync, renameSync, statSync, truncateSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { fileSourceSchema, flushTimeoutMs, type ConcreteFormat } from '../../src/sources/file/config.ts';
import { FileCursor } from '../../src/sources/file/cursor.ts';
import { DescriptorPool } from '../../src/sources/file/descriptors.ts';
import { Examiner } from '../../src/sources/file/examiner.ts';
import { FileRegistry } from '../../src/sources/file/file-registry.ts';
import { createDecoder } from '../../src/sources/file/formats/index.ts';
import type { TrackedFile } from '../../src/sources/file/tracked-file.ts';
import { scratchDir } from '../helpers/cli.ts';

/** The examination of files: the reads identity.ts asks for, against real files in a temp directory. */

const FP_BYTES = 32;
const HEAD = 'a first line long enough for the fingerprint\n';

const scratches: { cleanup(): void }[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const s of scratches.splice(0)) s.cleanup();
});

function setup(options: Record<string, unknown> = {}, maxOpenFiles = 64) {
  const scratch = scratchDir('l2e-examiner-');
  scratches.push(scratch);
  const config = fileSourceSchema().parse({ type: 'file', include: ['x'], fingerprint_bytes: FP_BYTES, format: 'plain', ...options });
  const registry = new FileRegistry<TrackedFile>();
  const descriptors = new DescriptorPool<TrackedFile>(maxOpenFiles, () => {});
  const formats = new Map<string, ConcreteFormat>();
  const detached: TrackedFile[] = [];
  let truncations = 0;
  closers.push(async () => {
    for (const f of registry.attached()) if (f.open?.fh) await descriptors.close(f.open.fh, f);
  });
  const examiner = new Examiner({
    config,
    identity: {
      fingerprintBytes: FP_BYTES,
      rotateWait: 1_000,
      detectsFormat: config.format === 'auto',
      flushTimeoutMs: flushTimeoutMs(config),
      startAtEnd: config.start_at === 'end',
    },
    registry,
    descriptors,
    logger: silentLogger,
    onTruncated: () => truncations++,
    warnOnce: () => {},
    // What the tailer's detach does to the examiner's parts.
    detach: async (f) => {
      detached.push(f);
      registry.detach(f);
      const fh = f.open?.fh;
      f.open = undefined;
      if (fh) await descriptors.close(fh, f);
    },
    cursorFor: (f, format, context) => {
      formats.set(context.attributes['log.file.path'] as string, format);
      return new FileCursor(f.position, {
        maxLineBytes: 1 << 20,
        decoder: createDecoder(format, config),
        multiline: undefined,
        literals: null,
        guard: 'none',
        onEntry: () => {},
        onTruncated: () => {},
      });
    },
  });
  /** Examines a path the way a poll and then an examination batch do. */
  const examine = async (path: string, initial = false) => {
    const started: TrackedFile[] = [];
    const look = await examiner.look(path, initial);
    for (const [queued, init] of examiner.batch(64)) {
      examiner.dequeue(queued);
      await examiner.examine(queued, init, started);
    }
    return { look, started, file: registry.attached().find((f) => f.open?.at === path) };
  };
  const file = (name: string, text: string | Buffer) => {
    const p = join(scratch.dir, name);
    writeFileSync(p, text);
    return p;
  };
  return { dir: scratch.dir, examiner, registry, descriptors, formats, detached, examine, file, truncations: () => truncations };
}

describe('Examiner: a path at an inode not followed yet', () => {
  it('queues it, then attaches a new file from 0 and reports it started', async () => {
    const { examine, file, descriptors } = setup();
    const p = file('app.log', HEAD + 'second\n');
    const { look, started, file: f } = await examine(p);
    expect(look).toMatchObject({ followed: undefined });
    expect(started).toHaveLength(1);
    expect(f).toBe(started[0]);
    expect(f?.position).toEqual({ offset: 0, skip: false });
    expect(f?.open?.due).toBe(true);
    expect(descriptors.open).toBe(1);
  });

  it.each([
    { text: HEAD + 'half a li', offset: HEAD.length + 9, skip: true, why: 'ends mid-line: the rest of that line is skipped' },
    { text: HEAD + 'whole\n', offset: HEAD.length + 6, skip: false, why: 'ends with a newline' },
  ])('start_at: end, found by the first poll, $why', async ({ text, offset, skip }) => {
    const { examine, file } = setup({ start_at: 'end' });
    const { file: f } = await examine(file('app.log', text), true);
    expect(f?.position).toEqual({ offset, skip });
  });

  it('start_at: end applies to files present at start only', async () => {
    const { examine, file } = setup({ start_at: 'end' });
    const { file: f } = await examine(file('app.log', HEAD), false);
    expect(f?.position.offset).toBe(0);
  });

  it.each([
    { text: '{"level":"info","msg":"a json line long enough"}\n', format: 'json' },
    { text: '2026-12-01T10:00:00.000000000Z stdout F a cri line of a container\n', format: 'cri' },
    { text: HEAD, format: 'plain' },
  ])('format: auto detects $format from the first line', async ({ text, format }) => {
    const { examine, file, formats } = setup({ format: 'auto' });
    const p = file('app.log', text);
    await examine(p);
    expect(formats.get(p)).toBe(format);
  });

  it('format: auto waits for a first line still being written, and holds no descriptor meanwhile', async () => {
    const { examine, file, descriptors, examiner } = setup({ format: 'auto' });
    const p = file('app.log', '{"level":"info","msg":');
    const { started, file: f } = await examine(p);
    expect(started).toEqual([]);
    expect(f).toBeUndefined();
    expect(descriptors.open).toBe(0);
    expect(examiner.queued).toBe(0); // the next poll queues it again
  });

  it('skips a compressed rotation and leaves its inode alone from then on', async () => {
    const { examine, file, registry, examiner } = setup();
    const p = file('app.log.2.gz', gzipSync(Buffer.from(HEAD.repeat(10))));
    const { file: f } = await examine(p);
    expect(f).toBeUndefined();
    const st = statSync(p);
    expect(registry.ignores(st.dev, st.ino)).toBe(true);
    await examiner.look(p, false);
    expect(examiner.queued).toBe(0);
  });

  it('an empty file is not queued (nothing to identify it by)', async () => {
    const { examiner, file } = setup();
    await examiner.look(file('empty.log', ''), false);
    expect(examiner.queued).toBe(0);
  });
});

describe('Examiner: a file that starts like one being read', () => {
  it('a copy of it (copytruncate, before the truncate) is not read, and its inode is left alone', async () => {
    const { examine, file, registry, dir } = setup();
    const p = file('app.log', HEAD + 'more\n'.repeat(100));
    const { file: original } = await examine(p);
    const copy = join(dir, 'app.log.1');
    copyFileSync(p, copy);
    const { file: f, started } = await examine(copy);
    expect(f).toBeUndefined();
    expect(started).toEqual([]);
    const st = statSync(copy);
    expect(registry.ignores(st.dev, st.ino)).toBe(true);
    expect(original?.open).toBeDefined();
  });

  it('the copy of a file truncated since is where it is read on, from its position', async () => {
    const { examine, file, dir, detached, truncations } = setup();
    const p = file('app.log', HEAD + 'more\n'.repeat(100));
    const { file: original } = await examine(p);
    const copy = join(dir, 'app.log.1');
    copyFileSync(p, copy);
    truncateSync(p, 0);
    const { file: f, started } = await examine(copy);
    expect(f).toBe(original);
    expect(started).toEqual([]);
    expect(detached).toEqual([original]);
    expect(truncations()).toBe(1);
    expect(f?.open?.at).toBe(copy);
  });

  it('another file that only starts the same way is a new file', async () => {
    const { examine, file } = setup();
    const { file: first } = await examine(file('a.log', HEAD + 'one\n'.repeat(50)));
    const { file: second, started } = await examine(file('b.log', HEAD + 'two\n'.repeat(50)));
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(started).toEqual([second]);
  });
});

describe('Examiner: a followed file found again by a poll', () => {
  it.each([
    { what: 'a missing path', make: (dir: string) => join(dir, 'nothing.log'), look: 'gone' },
    {
      what: 'a directory',
      make: (dir: string) => {
        mkdirSync(join(dir, 'sub.log'));
        return join(dir, 'sub.log');
      },
      look: 'not a file',
    },
  ])('$what: $look', async ({ make, look }) => {
    const { examiner, dir } = setup();
    expect(await examiner.look(make(dir), false)).toBe(look);
  });

  it('unchanged: followed, not due once read; grown: due', async () => {
    const { examine, examiner, file } = setup();
    const p = file('app.log', HEAD);
    const { file: f } = await examine(p);
    if (!f?.open) throw new Error('not attached');
    f.open.due = false;
    expect(await examiner.look(p, false)).toMatchObject({ followed: f });
    expect(f.open.due).toBe(false);
    appendFileSync(p, 'appended\n');
    expect(await examiner.look(p, false)).toMatchObject({ followed: f });
    expect(f.open.due).toBe(true);
  });

  it('renamed: followed under its new name', async () => {
    const { examine, examiner, file, dir } = setup();
    const p = file('app.log', HEAD);
    const { file: f } = await examine(p);
    const moved = join(dir, 'app.log.1');
    renameSync(p, moved);
    expect(await examiner.look(moved, false)).toMatchObject({ followed: f });
    expect(f?.open?.at).toBe(moved);
  });

  /** A rewrite in place that ends larger than before, found by a poll after `passes` polls that found the file grown. */
  async function rewriteAfterGrowth(passes: number, initial: string, rewritten: string) {
    const ctx = setup();
    const p = ctx.file('app.log', initial);
    const { file: f } = await ctx.examine(p);
    for (let i = 0; i < passes; i++) {
      appendFileSync(p, `appended ${i}\n`);
      expect(await ctx.examiner.look(p, false)).toMatchObject({ followed: f });
    }
    const old = statSync(p);
    if (Buffer.byteLength(rewritten) <= old.size) throw new Error('the rewrite must end larger');
    writeFileSync(p, rewritten);
    utimesSync(p, old.atime, new Date(old.mtimeMs + 5_000));
    return { ...ctx, f, look: await ctx.examiner.look(p, false) };
  }

  // The passes over a file that grew compare its leading bytes with those the first such pass
  // found (kept in memory) rather than hashing them: a rewrite is found either way.
  it.each([
    { what: 'on the first pass that finds it grown', passes: 0 },
    { what: 'after passes that found it grown', passes: 3 },
  ])('rewritten in place and larger (other leading bytes), $what: let go', async ({ passes }) => {
    const { f, look, detached, truncations } = await rewriteAfterGrowth(
      passes,
      HEAD,
      `${HEAD.toUpperCase()}${'a longer body than before, line after line\n'.repeat(4)}`,
    );
    expect(look).toMatchObject({ followed: undefined });
    expect(detached).toEqual([f]);
    expect(truncations()).toBe(1);
  });

  it('rewritten in place after growing past a weak fingerprint: the bytes it was strengthened with are compared', async () => {
    // First seen shorter than the fingerprint; its growth strengthens it to FP_BYTES, and the
    // rewrite differs from the original only in the bytes the stronger fingerprint added.
    const short = 'short\n';
    // Strengthened by each of three passes (to 17, 28, then 32 bytes); the rewrite differs in
    // bytes 17-27, which the first pass's fingerprint did not cover.
    const { f, look, detached } = await rewriteAfterGrowth(3, short, `${short}appended 0\nAPPENDED 1\n${'more\n'.repeat(10)}`);
    expect(f?.fp.len).toBe(FP_BYTES);
    expect(look).toMatchObject({ followed: undefined });
    expect(detached).toEqual([f]);
  });

  it('closed for room: grown is still told from rewritten after the descriptor is reopened', async () => {
    const { examine, examiner, file, detached } = setup({}, 1);
    const p = file('app.log', HEAD);
    const { file: f } = await examine(p);
    appendFileSync(p, 'appended\n');
    await examiner.look(p, false);
    // Another file's examination takes the only slot: this one's descriptor is closed.
    const other = await examine(file('other.log', 'another first line, also long enough\n'));
    expect(f?.open?.fh).toBeUndefined();
    appendFileSync(p, 'appended again\n');
    expect(await examiner.look(p, false)).toMatchObject({ followed: f });
    expect(f?.open?.due).toBe(true);
    const old = statSync(p);
    writeFileSync(p, `${HEAD.toUpperCase()}${'rewritten\n'.repeat(5)}`);
    utimesSync(p, old.atime, new Date(old.mtimeMs + 5_000));
    expect(await examiner.look(p, false)).toMatchObject({ followed: undefined });
    expect(detached).toEqual([f]);
    expect(other.file).toBeDefined();
  });

  it('rewritten in place (other leading bytes): let go, and the path queued to be read from 0 as a new file', async () => {
    const { examine, examiner, file, detached, truncations } = setup();
    const p = file('app.log', HEAD + 'first version\n');
    const { file: f } = await examine(p);
    const old = statSync(p);
    writeFileSync(p, 'another first line, also long enough\nX\n');
    utimesSync(p, old.atime, new Date(old.mtimeMs + 5_000));
    expect(await examiner.look(p, false)).toMatchObject({ followed: undefined });
    expect(detached).toEqual([f]);
    expect(f?.replaced).toBe(true);
    expect(truncations()).toBe(1);
    expect(examiner.queued).toBe(1);
    const started: TrackedFile[] = [];
    const again = await examiner.examine(p, false, started);
    expect(started).toEqual([again]);
    expect(again?.position.offset).toBe(0);
  });
});
