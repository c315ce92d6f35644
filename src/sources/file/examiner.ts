import { realpath, type FileHandle } from 'node:fs/promises';
import { statSync, type Stats } from 'node:fs';
import type { Logger } from '../../observability/logger.ts';
import { CHUNK_BYTES } from './chunk-reader.ts';
import type { ConcreteFormat, FileSourceConfig } from './config.ts';
import type { FileCursor } from './cursor.ts';
import type { DescriptorPool } from './descriptors.ts';
import type { FileRegistry } from './file-registry.ts';
import { fingerprintOf, headMatches, readHead, readHeadSync } from './fingerprint.ts';
import { detectFormat } from './formats/index.ts';
import { identifyNewInode, judgeFollowed, newFileId, type CopyVerdict, type FollowedFacts, type IdentitySettings } from './identity.ts';
import { fileRecordContext, type FileRecordContext } from './record-context.ts';
import { ReadTail, tailMatches } from './tail.ts';
import { descriptorClosed, handleOf, type OpenFile, type TrackedFile } from './tracked-file.ts';

/** Trailing bytes compared to tell a copy of an open file from a file that only starts like it. */
const COPY_CHECK_BYTES = 4096;
/** Bytes read to detect the format of a file (its first line, or a prefix of it). */
const DETECT_BYTES = 64 * 1024;

/** What the examiner works with; the tailer's parts and the callbacks into it. */
export interface ExaminerParts {
  config: Pick<FileSourceConfig, 'fingerprint_bytes' | 'format'>;
  identity: IdentitySettings;
  registry: FileRegistry<TrackedFile>;
  descriptors: DescriptorPool<TrackedFile>;
  logger: Logger;
  /** A file was found truncated or rewritten in place. */
  onTruncated(): void;
  warnOnce(path: string, msg: string, error: unknown): void;
  /** Stops reading a file in place, keeping its committed position (the tailer's detach). */
  detach(f: TrackedFile): Promise<void>;
  /** The cursor that turns a file's bytes into entries, for its format. */
  cursorFor(f: TrackedFile, format: ConcreteFormat, context: FileRecordContext): FileCursor;
}

/** What a look at a path found: nothing (gone), something other than a file, or a file at an inode and the file followed there, if any. */
export type Look = 'gone' | 'not a file' | { dev: number; ino: number; followed: TrackedFile | undefined };

/**
 * The I/O of finding out which file is where: it gathers the facts the decisions of identity.ts
 * ask for (a stat, the leading bytes, the bytes before a checkpoint's offset, a comparison with
 * an open file, the bytes last read), carries the decisions out in the registry, and attaches a
 * file once it is known (format detection, its cursor, its descriptor). Paths at inodes not
 * followed yet wait in its queue until the tailer has them examined.
 */
export class Examiner {
  private readonly parts: ExaminerParts;
  /** Paths found at an inode not followed yet, waiting to be examined (true: found by the first poll). */
  private readonly queue = new Map<string, boolean>();
  private headScratch: Buffer | undefined;

  constructor(parts: ExaminerParts) {
    this.parts = parts;
  }

  /** Paths waiting to be examined. */
  get queued(): number {
    return this.queue.size;
  }

  /** Up to `max` of the queued paths, oldest first, with whether the first poll found them (still queued: see dequeue). */
  batch(max: number): [string, boolean][] {
    const batch: [string, boolean][] = [];
    for (const entry of this.queue) {
      if (batch.length === max) break;
      batch.push(entry);
    }
    return batch;
  }

  dequeue(path: string): void {
    this.queue.delete(path);
  }

  /**
   * Stats a path a poll covers: answers the followed file there, if it still holds what was read
   * (a file grown since becomes due); a new inode is queued for examination.
   */
  async look(path: string, initial: boolean): Promise<Look> {
    // Synchronous on purpose: ~2 µs of CPU per stat against ~12 µs through the thread pool and a
    // promise, which with thousands of files was most of the agent's time; a slice of a poll
    // (POLL_SLICE paths) blocks for a few ms.
    let st: Stats | undefined;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st) return 'gone';
    if (!st.isFile()) return 'not a file';
    let followed: TrackedFile | undefined;
    try {
      followed = await this.follow(path, st, initial);
    } catch (err) {
      // One unreadable file must not stop the others; an open one stays as it was.
      followed = this.parts.registry.attachedAt(st.dev, st.ino);
      this.parts.warnOnce(path, 'cannot follow file', err);
    }
    return { dev: st.dev, ino: st.ino, followed };
  }

  private async follow(path: string, st: Stats, initial: boolean): Promise<TrackedFile | undefined> {
    const { registry } = this.parts;
    const f = registry.attachedAt(st.dev, st.ino);
    if (f?.open) {
      f.open.at = path;
      if (await this.stillSameFile(f, f.open, st)) return f;
      // Truncated (copytruncate) or rewritten: the old content lives on only in a copy, if any.
      this.parts.onTruncated();
      this.parts.logger.info('file truncated or rewritten in place; reading it from the start', { path });
      f.replaced = true;
      await this.parts.detach(f);
    }
    // A copy of a file still being read elsewhere, or compressed: nothing to read here.
    if (st.size === 0 || registry.ignores(st.dev, st.ino)) return undefined;
    if (!this.queue.has(path)) this.queue.set(path, initial);
    return undefined;
  }

  /** Whether the inode of an open file still holds what was read so far (see judgeFollowed). */
  private async stillSameFile(f: TrackedFile, o: OpenFile, st: Stats): Promise<boolean> {
    const facts: FollowedFacts = {
      size: st.size,
      mtimeMs: st.mtimeMs,
      readPos: o.cursor.readPos,
      lastSize: o.size,
      lastMtimeMs: o.mtimeMs,
    };
    let decision = judgeFollowed(facts);
    let head: Buffer | undefined;
    if (decision === 'check content') {
      const fh = await this.handle(f, o);
      if (!fh) return true; // cannot look now: the size and mtime stay as they were, so the next poll looks again
      // Closed for room or let go since (its descriptor number may be another file's now).
      if (o.fh !== fh || f.open !== o) return true;
      o.size = st.size;
      o.mtimeMs = st.mtimeMs;
      head = readHeadSync(fh.fd, this.headBuffer());
      const headOk = o.head ? startsWith(head, o.head) : headMatches(head, f.fp);
      facts.content = { headMatches: headOk, tailMatches: headOk && o.readTail.matches(fh.fd) };
      decision = judgeFollowed(facts);
    }
    if (decision === 'truncated' || decision === 'rewritten') return false;
    if (decision === 'grown') {
      if (head) {
        this.parts.registry.strengthen(f, head, this.parts.config.fingerprint_bytes);
        if (o.head?.length !== f.fp.len) o.head = keptCopy(head, f.fp.len);
      }
      o.due = true;
    }
    return true;
  }

  /** Where the leading bytes of a followed file are read for its checks (one buffer for all). */
  private headBuffer(): Buffer {
    const len = this.parts.config.fingerprint_bytes;
    if (this.headScratch?.length !== len) this.headScratch = Buffer.allocUnsafeSlow(len);
    return this.headScratch;
  }

  /**
   * A file at an inode not attached yet: a known file under a new name, a copy, or a new file
   * (pushed on `started`: its starting position is to be committed). Answers the file attached
   * there, if any.
   */
  async examine(path: string, initial: boolean, started: TrackedFile[]): Promise<TrackedFile | undefined> {
    const { registry, descriptors, identity, logger } = this.parts;
    const fingerprintBytes = this.parts.config.fingerprint_bytes;
    let fh: FileHandle;
    try {
      fh = await descriptors.openFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let attached = false;
    try {
      const st = await fh.stat();
      const head = await readHead(fh, fingerprintBytes);
      const facts = registry.newInodeFacts(path, st, head, initial, Date.now());
      let decision = identifyNewInode(facts, identity);
      if (decision.kind === 'check tail') {
        const { file } = decision;
        facts.tailMatches = file.tail !== undefined && (await tailMatches(fh, file.position.offset, file.tail));
        decision = identifyNewInode(facts, identity);
      }
      if (decision.kind === 'check copy' && decision.file.open) {
        facts.copy = await this.copyOf(fh, st.size, decision.file, decision.file.open);
        decision = identifyNewInode(facts, identity);
      }
      let f: TrackedFile;
      switch (decision.kind) {
        case 'followed':
          return decision.file;
        case 'compressed':
          // Rotated logs compressed in place (app.log.2.gz) when a glob like app.log* takes them in.
          registry.markCompressed(st.dev, st.ino);
          this.parts.warnOnce(path, 'skipping compressed file (add it to exclude, e.g. "**/*.gz")', undefined);
          return undefined;
        case 'copy':
          registry.markCopy(st.dev, st.ino, decision.of);
          return undefined;
        case 'empty':
        case 'first line incomplete':
        case 'check tail':
        case 'check copy':
          return undefined;
        case 'known':
          f = decision.file;
          if (decision.originalTruncated) {
            this.parts.onTruncated();
            await this.parts.detach(f);
          }
          if (f.path !== path || f.dev !== st.dev || f.ino !== st.ino)
            logger.info('following known file', { path, id: f.id, previous: f.path, offset: f.position.offset });
          break;
        case 'new': {
          if (decision.rewritten) {
            decision.rewritten.replaced = true;
            this.parts.onTruncated();
            logger.info('file rewritten in place since its position was written; reading it from the start', { path });
          }
          const fp = fingerprintOf(head, fingerprintBytes);
          const id = newFileId(fp, st, fingerprintBytes, (taken) => registry.has(taken));
          const offset = decision.atEnd ? st.size : 0;
          // Starting at the end of a file that ends mid-line: the rest of that line is not a line.
          const skip = decision.atEnd && st.size > 0 && (await lastByte(fh, st.size)) !== 0x0a;
          f = { id, fp, path, dev: st.dev, ino: st.ino, position: { offset, skip }, detachedAt: facts.now };
          registry.add(f);
          started.push(f);
          logger.info('following new file', { path, id, offset });
          break;
        }
      }
      f.path = path;
      f.dev = st.dev;
      f.ino = st.ino;
      registry.strengthen(f, head, fingerprintBytes);
      await this.attach(f, fh, st, head, path);
      attached = true;
      return f;
    } finally {
      if (!attached) await descriptors.close(fh);
    }
  }

  /**
   * Whether a file whose first bytes match an open file is a copy of it (its bytes so far are
   * the open file's bytes), or the open file was truncated since (copytruncate), or it is a
   * different file that starts the same way (a common banner longer than the fingerprint).
   */
  private async copyOf(fh: FileHandle, size: number, original: TrackedFile, o: OpenFile): Promise<CopyVerdict> {
    const from = Math.max(0, size - COPY_CHECK_BYTES);
    const len = size - from;
    const mine = Buffer.alloc(len);
    const theirs = Buffer.alloc(len);
    const ofh = await this.handle(original, o);
    if (!ofh) return 'different';
    const [a, b] = await Promise.all([fh.read(mine, 0, len, from), ofh.read(theirs, 0, len, from)]);
    if (a.bytesRead === len && b.bytesRead === len && mine.equals(theirs)) return 'copy';
    // Checked after the comparison: a truncation racing with it shows here.
    const ost = await ofh.stat();
    if (ost.size < o.cursor.readPos || !headMatches(await readHead(ofh, original.fp.len), original.fp)) return 'original truncated';
    return 'different';
  }

  /** Opens a known file for reading at the inode `fh` holds: its format, its cursor, its descriptor. */
  private async attach(f: TrackedFile, fh: FileHandle, st: Stats, head: Buffer, path: string): Promise<void> {
    const format = await this.formatOf(fh, head);
    const context = fileRecordContext(path, await realpath(path).catch(() => path));
    const now = Date.now();
    const open: OpenFile = {
      fh,
      at: path,
      due: true,
      size: st.size,
      mtimeMs: st.mtimeMs,
      dataAt: now,
      readSize: CHUNK_BYTES,
      cursor: this.parts.cursorFor(f, format, context),
      backlog: { since: now, bytes: 0 },
      readTail: new ReadTail(),
    };
    f.open = open;
    this.parts.registry.attach(f);
    this.parts.descriptors.follow(f, fh, () => descriptorClosed(open));
  }

  /** The configured format, or with `auto` the one the first line shows. */
  private async formatOf(fh: FileHandle, head: Buffer): Promise<ConcreteFormat> {
    const { format, fingerprint_bytes } = this.parts.config;
    if (format !== 'auto') return format;
    // A head shorter than asked for is the whole file already.
    const buf = head.length >= DETECT_BYTES || head.length < fingerprint_bytes ? head : await readHead(fh, DETECT_BYTES);
    const nl = buf.indexOf(0x0a);
    const first = buf.toString('utf8', 0, nl < 0 ? buf.length : nl).replace(/\r$/, '');
    return detectFormat(first, nl >= 0);
  }

  private handle(f: TrackedFile, o: OpenFile): Promise<FileHandle | undefined> {
    return handleOf(f, o, this.parts.descriptors, (path, err) => this.parts.warnOnce(path, 'cannot reopen file', err));
  }
}

/** The first `len` bytes, in memory of their own (a slice of the shared pool would hold all of its 8 KiB). */
function keptCopy(bytes: Buffer, len: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(len);
  bytes.copy(copy, 0, 0, len);
  return copy;
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

async function lastByte(fh: FileHandle, size: number): Promise<number | undefined> {
  const buf = Buffer.alloc(1);
  const { bytesRead } = await fh.read(buf, 0, 1, size - 1);
  return bytesRead === 1 ? buf[0] : undefined;
}
