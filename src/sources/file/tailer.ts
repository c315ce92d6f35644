import { realpath, type FileHandle } from 'node:fs/promises';
import { statSync, type Stats } from 'node:fs';
import type { Event } from '../../model/event.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Checkpoint, SourceContext } from '../source.ts';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import { flushTimeoutMs, type ConcreteFormat, type FileSourceConfig } from './config.ts';
import { CHUNK_BYTES, ChunkReader, nextReadSize } from './chunk-reader.ts';
import { FileCursor, type CursorPosition, type PartialGuard } from './cursor.ts';
import { DescriptorPool } from './descriptors.ts';
import { Discovery } from './discovery.ts';
import { FileRegistry, inodeKey } from './file-registry.ts';
import { fingerprintOf, headMatches, readHead, type Fingerprint } from './fingerprint.ts';
import { ReadTail, tailMatches } from './tail.ts';
import { identifyNewInode, judgeFollowed, judgePresence, newFileId, type FollowedFacts, type IdentitySettings } from './identity.ts';
import { createDecoder, detectFormat, literalSurvivesEnvelope, type Entry } from './formats/index.ts';
import { entryRecord } from '../line-record.ts';
import { fileRecordContext, type FileRecordContext } from './record-context.ts';
import { MultilineAggregator } from './multiline.ts';
import { WakeThrottle } from './wake-throttle.ts';

/**
 * A backlog commits once per turn (up to CHUNKS_PER_TURN chunks: one transaction and one fsync
 * instead of one per chunk), or after a chunk once this many events wait. Commits are
 * replayable: delivered from memory, their checkpoints written once a whole commit is
 * delivered (delivery/held-commits.ts), so this is also the most a crash can send again beyond
 * the requests in flight.
 */
const COMMIT_EVENTS = 128;
/** What a file source's commits are: its events can be read again from behind its checkpoints. */
const REPLAYABLE = { replayable: true } as const;
/** Chunks read from one file before the others get a turn. */
const CHUNKS_PER_TURN = 32;
/** The glob walk runs every this many polls (chokidar covers the time between). */
const POLLS_PER_RESCAN = 10;
/** Trailing bytes compared to tell a copy of an open file from a file that only starts like it. */
const COPY_CHECK_BYTES = 4096;
/** Bytes read to detect the format of a file (its first line, or a prefix of it). */
const DETECT_BYTES = 64 * 1024;
/**
 * New files examined per batch: their starting positions are committed together (one
 * transaction), and the followed files are read between batches.
 */
const EXAMINE_BATCH = 64;
/** Paths stat'ed per slice of a poll; the followed files with new data are read between slices. */
const POLL_SLICE = 1024;
/** Stats in flight at once during a poll. */
const STAT_CONCURRENCY = 32;
/**
 * A followed file that did not change is stat'ed less and less often, up to this many poll
 * intervals (and at most IDLE_CHECK_MAX_MS apart): thousands of idle files cost little, and a file
 * that changes is checked every poll_interval again.
 */
const IDLE_CHECK_MAX_POLLS = 8;
const IDLE_CHECK_MAX_MS = 1000;
/** A file that had data within this long is read between slices of polls and examinations. */
const HOT_MS = 5000;
/** Examinations between two such reads. */
const HOT_EVERY = 16;

/** One file, known by the fingerprint it had when first seen (its id). */
interface TrackedFile {
  id: string;
  fp: Fingerprint;
  path: string;
  dev: number;
  ino: number;
  /** The last committed position (where a restart, or a reopen after an error, resumes). */
  position: CursorPosition;
  /** Present while the file is open (attached to a live inode). */
  open?: OpenFile;
  /** When the file stopped being attached (truncated away, released, or not found yet after a restart). */
  detachedAt: number;
  /** The second fingerprint of the committed position (see tail.ts). */
  tail?: Fingerprint;
  /** Its inode was found truncated or rewritten: its position no longer applies there. */
  replaced?: boolean;
}

interface OpenFile {
  /** Undefined while closed to bound descriptors (see DescriptorPool): reopened at `at` when needed. */
  fh: FileHandle | undefined;
  /** The path the inode was last found at. */
  at: string;
  /** Has (or may have) data to read: new, grown or still being read; idle files are not read. */
  due: boolean;
  cursor: FileCursor;
  size: number;
  mtimeMs: number;
  /** Last time bytes were read (the flush timeout counts from here). */
  dataAt: number;
  /** Since when the file is not found at any included path (renamed away or deleted). */
  goneSince?: number;
  /** Bytes of the next read (see nextReadSize). */
  readSize: number;
  /** A backlog being read since the file was opened: logged once it is read to the end. */
  backlog?: { since: number; bytes: number };
  /** The last bytes read, to tell appends from rewrites (see tail.ts). */
  readTail: ReadTail;
}

/**
 * Tails the files a Discovery finds: polls them, reads them and commits their events with their
 * checkpoints, waiting when the spool is full. The parts it wires: which file is where
 * (FileRegistry, with the decisions of identity.ts), reading (ChunkReader), lines to entries
 * (FileCursor and the formats) and entries to records (line-record.ts).
 */
export class Tailer {
  private readonly name: string;
  private readonly config: FileSourceConfig;
  private readonly ctx: SourceContext;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly discovery: Discovery;
  /** The files known, and where they are. */
  private readonly registry = new FileRegistry<TrackedFile>();
  private readonly descriptors: DescriptorPool<TrackedFile>;
  private readonly identity: IdentitySettings;
  /** Paths found at an inode not followed yet, waiting to be examined (true: found by the first poll). */
  private readonly toExamine = new Map<string, boolean>();
  /** When each path is stat'ed next, and its current interval (idle files back off). */
  private readonly checks = new Map<string, { next: number; interval: number }>();
  /** The followed file last found at each path. */
  private readonly pathFile = new Map<string, TrackedFile>();
  /** The next poll stats every path, backed off or not (a drain was asked for). */
  private fullPoll = false;
  /** A glob walk in progress. */
  private scanning: Promise<void> | undefined;
  /** Files written to lately (after their backlog): read between the slices of long polls and examinations too. */
  private readonly hot = new Set<TrackedFile>();
  private readonly paths = new Set<string>();
  private readonly literalCache = new Map<ConcreteFormat, Buffer[] | null>();
  private readonly labels: { source: string };
  private readonly warned = new Set<string>();
  /** Reads chunks of one file at a time, double-buffered (see ChunkReader). */
  private readonly reader = new ChunkReader();
  private events: Event[] = [];
  private stopped = false;
  private pollCount = 0;
  private rescanDue = false;
  private lastPoll = 0;
  private wake: (() => void) | undefined;
  private wakePending = false;
  private loop: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  /** Aborted by stop() or by the agent's signal: ends sleeps and waits for spool room. */
  private readonly halt = new AbortController();
  private readonly signal: AbortSignal;
  /** Followed paths written to since the loop last looked (watch events): stat'ed and read on the next wake. */
  private readonly changed = new Set<string>();
  /** The throttle let a pass over `changed` go (writes during a pass wait for the next one). */
  private changeDue = false;
  /**
   * Writes to a followed file (inotify events through the directory watch) wake the loop at most
   * once per `watch_interval`: a busy file raises an event per write, and one stat-and-read pass
   * takes in all the writes of the gap. Each pass costs a stat, two reads for the truncation and
   * rewrite checks and the read itself (see WATCH_INTERVAL_DEFAULT_MS for the trade-off).
   */
  private readonly changeWake: WakeThrottle;

  constructor(name: string, config: FileSourceConfig, ctx: SourceContext, metrics: Metrics) {
    this.name = name;
    this.config = config;
    this.ctx = ctx;
    this.metrics = metrics;
    this.logger = ctx.logger.child({ source: name });
    this.discovery = new Discovery(config.include, config.exclude);
    this.labels = { source: name };
    this.signal = AbortSignal.any([ctx.signal, this.halt.signal]);
    // Once, rather than per sleep: listeners on an AbortSignal.any are costly to add and remove.
    this.signal.addEventListener('abort', () => this.wake?.(), { once: true });
    this.changeWake = new WakeThrottle(() => {
      this.changeDue = true;
      this.poke(false);
    }, config.watch_interval);
    this.identity = {
      fingerprintBytes: config.fingerprint_bytes,
      rotateWait: config.rotate_wait,
      detectsFormat: config.format === 'auto',
      flushTimeoutMs: flushTimeoutMs(config),
      startAtEnd: config.start_at === 'end',
    };
    this.descriptors = new DescriptorPool(config.max_open_files, (limit) =>
      this.logger.warn('out of file descriptors (EMFILE): holding fewer files open; the others are reopened when they have data', {
        max_open_files: limit,
      }),
    );
  }

  async start(): Promise<void> {
    const now = Date.now();
    for (const [id, value] of this.ctx.intake.checkpoints(this.name)) {
      const cp = decodeCheckpoint(value);
      if (!cp) {
        this.logger.warn('ignoring unreadable file checkpoint', { key: id });
        continue;
      }
      this.registry.restore({
        id,
        fp: cp.fp,
        path: cp.path,
        dev: cp.dev,
        ino: cp.ino,
        position: { offset: cp.offset, skip: cp.skip },
        detachedAt: now,
        ...(cp.tail ? { tail: cp.tail } : {}),
      });
    }
    // New and removed files wake the loop at once; appends wake it too, at most once per
    // watch_interval, so a busy file costs one stat and read pass per gap instead of one per
    // write. The poll stays the fallback where no events come (network file systems, watch limits).
    await this.discovery.watch((event, path) => {
      if (event === 'change') {
        if (!this.paths.has(path)) return;
        // Written to: stat it now (a pass over the changed paths only), and at the next poll
        // however idle it was.
        this.checks.delete(path);
        this.changed.add(path);
        this.changeWake.signal();
        return;
      }
      if (event === 'add') {
        this.paths.add(path);
        this.checks.delete(path);
      } else this.rescanDue = true;
      this.poke(true);
    }, this.logger);
    for (const p of await this.discovery.scan()) this.paths.add(p);
    await this.poll(true);
    // Files present at start are examined now, so that start_at: end means the end at start.
    while (this.toExamine.size > 0 && !this.stopped) await this.examineBatch();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    this.changeWake.cancel();
    this.poke(false);
    await this.loop;
    await this.scanning;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    await this.discovery.close();
    for (const f of this.registry.all()) if (f.open) await this.close(f);
  }

  /** Resolves once every file found so far is read to its end and nothing is held back. */
  drained(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.fullPoll = true;
      this.poke(true);
    });
  }

  /** Wakes the loop; `poll` asks for a stat pass too (a file appeared or vanished). */
  private poke(poll: boolean): void {
    if (poll) this.lastPoll = 0;
    this.wakePending = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.signal.aborted) {
      let progressed = false;
      try {
        if (Date.now() - this.lastPoll >= this.config.poll_interval) {
          this.changed.clear(); // the poll stats them all
          this.changeDue = false;
          await this.poll(false);
        } else if (this.changeDue && this.changed.size > 0) {
          this.changeDue = false;
          await this.pollChanged();
        }
        this.wakePending = false;
        if (this.toExamine.size > 0) progressed = (await this.examineBatch()) || progressed;
        progressed = (await this.readDue()) || progressed;
      } catch (err) {
        // Whatever failed is retried on the next round; the other files go on.
        this.logger.error('file source round failed', { error: err });
        // What was read but not committed is read again: the files reopen at their committed
        // positions on the next poll.
        this.events = [];
        for (const f of this.registry.attached()) await this.detach(f);
        await this.sleep(this.config.poll_interval);
        continue;
      }
      if (progressed || this.wakePending || this.stopped || this.toExamine.size > 0) continue;
      if (this.drainWaiters.length > 0 && !this.fullPoll && !this.registry.attached().some((f) => f.open?.cursor.hasPending)) {
        for (const resolve of this.drainWaiters.splice(0)) resolve();
      }
      await this.sleep(Math.max(1, this.config.poll_interval - (Date.now() - this.lastPoll)));
    }
  }

  /** Ends at `ms`, or earlier on poke() or abort (one abort listener for the source's life, added in the constructor). */
  private sleep(ms: number): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Reads every followed file that has (or may have) data; answers whether any had. */
  private async readDue(): Promise<boolean> {
    let progressed = false;
    for (const f of this.registry.attached()) {
      if (this.stopped) break;
      if (f.open?.due) progressed = (await this.readSome(f)) || progressed;
    }
    return progressed;
  }

  /**
   * Reads the files that had data within the last HOT_MS (a read at the end of a file costs one
   * read): between slices of a long poll or examination, so that thousands of new files do not
   * hold up the files being written to.
   */
  private async readHot(): Promise<void> {
    const now = Date.now();
    for (const f of [...this.hot]) {
      if (this.stopped) return;
      if (!f.open || now - f.open.dataAt > HOT_MS) {
        this.hot.delete(f);
        continue;
      }
      await this.readSome(f);
    }
  }

  /** The open file's descriptor, reopened by path (and checked to be the same inode) if it was closed for room. */
  private async handle(f: TrackedFile, o: OpenFile): Promise<FileHandle | undefined> {
    if (o.fh) {
      this.descriptors.touch(f);
      return o.fh;
    }
    let fh: FileHandle;
    try {
      fh = await this.descriptors.openFile(o.at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warnOnce(o.at, 'cannot reopen file', err);
      return undefined;
    }
    const st = await fh.stat().catch(() => undefined);
    // Moved or replaced since: the next poll finds where the inode is now, if anywhere.
    if (!st || st.dev !== f.dev || st.ino !== f.ino || f.open !== o) {
      await this.descriptors.close(fh);
      return undefined;
    }
    o.fh = fh;
    this.descriptors.follow(f, fh, () => (o.fh = undefined));
    return fh;
  }

  /**
   * Reads up to a turn's worth of chunks; answers whether it read anything. While one chunk is
   * processed and committed, the next one is already being read (see ChunkReader).
   */
  private async readSome(f: TrackedFile): Promise<boolean> {
    const o = f.open;
    if (!o) return false;
    const fh = await this.handle(f, o);
    if (!fh) return false;
    const reader = this.reader;
    let progressed = false;
    /** Chunks consumed whose events and position are not committed yet. */
    let uncommitted = false;
    reader.begin(fh, o.cursor.readPos, o.readSize);
    for (let i = 0; reader.reading && !this.stopped; i++) {
      let bytes: Buffer | undefined;
      try {
        bytes = await reader.take();
      } catch (err) {
        this.logger.warn('read failed; letting the file go', { path: f.path, error: err });
        if (uncommitted) await this.commit(f);
        await this.detach(f);
        return progressed;
      }
      if (!bytes) break;
      const n = bytes.length;
      if (i + 1 < CHUNKS_PER_TURN) reader.readAhead(o.readSize);
      o.dataAt = Date.now();
      this.metrics.inc('log2events_file_bytes_read_total', 'Bytes read from tailed files', this.labels, n);
      if (o.backlog) o.backlog.bytes += n;
      const before = this.events.length;
      // The held partial line goes in front of the new bytes.
      o.cursor.consume(reader.withHeld(o.cursor.held));
      o.readTail.update(bytes, reader.end);
      o.readSize = nextReadSize(o.readSize, n, this.events.length - before, COMMIT_EVENTS);
      progressed = true;
      uncommitted = true;
      if (reader.reading && this.events.length < COMMIT_EVENTS) continue;
      uncommitted = false;
      if (!(await this.commit(f))) break;
    }
    // A read still in flight must land before its buffer is used again.
    await reader.finish();
    if (uncommitted) await this.commit(f);
    if (!progressed && o.backlog) {
      const { since, bytes } = o.backlog;
      o.backlog = undefined;
      const seconds = (Date.now() - since) / 1000;
      if (bytes >= CHUNK_BYTES)
        this.logger.info('caught up', { path: f.path, bytes, seconds, mb_per_s: Math.round(bytes / 1e6 / Math.max(seconds, 0.001)) });
    }
    if (!progressed && f.open && o.cursor.hasPending && Date.now() - o.dataAt >= flushTimeoutMs(this.config)) {
      o.cursor.flush();
      await this.commit(f);
    }
    if (progressed) {
      this.descriptors.touch(f);
      // Written to after its backlog was read (not a new file being read once): a live file.
      if (!o.backlog) this.hot.add(f);
    }
    // At its end (a short read reached it): read again when a poll or a watch event sees it
    // change, or while a partial line waits for its flush.
    if (!progressed || reader.atEnd) o.due = o.cursor.hasPending;
    return progressed;
  }

  /** Commits the events gathered since the last commit with the file's new position. */
  private commit(f: TrackedFile): Promise<boolean> {
    return this.commitFiles([f]);
  }

  /** Commits the events gathered since the last commit with the new positions of `files`. */
  private async commitFiles(files: readonly TrackedFile[]): Promise<boolean> {
    const updates = files.map((f) => {
      const position = f.open ? f.open.cursor.position() : f.position;
      const tail = f.open?.readTail.before(position.offset) ?? (position.offset === f.position.offset ? f.tail : undefined);
      return { f, position, tail };
    });
    const events = this.events;
    this.events = [];
    const checkpoints: Checkpoint[] = updates.map(({ f, position, tail }) => ({
      source: this.name,
      key: f.id,
      value: encodeCheckpoint({ ...position, fp: f.fp, path: f.path, dev: f.dev, ino: f.ino, ...(tail ? { tail } : {}) }),
    }));
    for (;;) {
      const result = this.ctx.intake.commit(events, checkpoints, REPLAYABLE);
      if (result.ok) {
        for (const { f, position, tail } of updates) {
          f.position = position;
          f.tail = tail;
        }
        return true;
      }
      if (result.reason === 'closed') {
        this.stopped = true;
        return false;
      }
      // Backpressure (`block`): the same commit goes again once the spool has room.
      try {
        await this.ctx.intake.waitForRoom(this.signal);
      } catch {
        return false;
      }
      if (this.signal.aborted) return false;
    }
  }

  private onEntry(f: TrackedFile, shared: FileRecordContext, entry: Entry): void {
    // Records are never changed once made: a file's own attributes and resource are shared.
    const record = entryRecord(entry, shared.attributes, shared.resource, `${f.id}:${entry.offset}`);
    this.metrics.inc('log2events_file_records_total', 'Records read from files and handed to the rules', this.labels);
    for (const ev of this.ctx.processor.process(record, this.name)) this.events.push(ev);
  }

  // ---- finding and following files -----------------------------------------------------------

  /**
   * Stats the known paths (idle ones less often, see IDLE_CHECK_MAX_POLLS), in slices with a few
   * stats in flight, reading the followed files that changed between slices; queues paths at
   * inodes not followed yet for examination; lets go of files that are gone.
   */
  private async poll(initial: boolean): Promise<void> {
    this.lastPoll = Date.now();
    const full = initial || this.fullPoll;
    this.fullPoll = false;
    if (!initial && (++this.pollCount % POLLS_PER_RESCAN === 0 || this.rescanDue) && !this.scanning) {
      // In the background: walking a tree of thousands of files takes a while, and the files
      // already followed are not kept waiting for it. A poll looks at what it found at once.
      this.rescanDue = false;
      this.scanning = this.discovery
        .scan()
        .then((found) => {
          let added = false;
          for (const p of found) {
            if (this.paths.has(p)) continue;
            this.paths.add(p);
            added = true;
          }
          if (added) this.poke(true);
        })
        .catch((err: unknown) => this.logger.warn('file glob walk failed', { error: err }))
        .finally(() => (this.scanning = undefined));
    }
    const seen = new Set<TrackedFile>();
    const inodes = new Set<string>();
    const paths = [...this.paths];
    for (let i = 0; i < paths.length && !this.stopped; i += POLL_SLICE) {
      const now = Date.now();
      // Few enough at once that the files they reopen never close each other for room.
      const concurrency = Math.max(1, Math.min(STAT_CONCURRENCY, this.descriptors.bound >> 2));
      await forEachLimit(paths.slice(i, i + POLL_SLICE), concurrency, (path) => this.pollPath(path, initial, full, now, seen, inodes));
      // Thousands of paths take a while: the files being written to are not kept waiting.
      if (!initial && i + POLL_SLICE < paths.length) await this.readHot();
    }
    this.registry.prune(inodes);
    const now = Date.now();
    const forget: string[] = [];
    for (const f of this.registry.all()) {
      const o = f.open;
      const presence = judgePresence(
        { open: o !== undefined, goneSince: o?.goneSince, detachedAt: f.detachedAt },
        seen.has(f),
        now,
        this.config.rotate_wait,
      );
      if (presence.kind === 'present' && o) o.goneSince = undefined;
      else if (presence.kind === 'gone' && o) {
        // Renamed away or deleted: drain what is there, then let go after rotate_wait. What is
        // held of it is spooled now: after a crash, its checkpoint may find nothing to re-read.
        if (presence.newly) {
          o.goneSince = now;
          o.due = true;
          this.ctx.intake.secure?.();
        }
        if (presence.release) await this.release(f);
      } else if (presence.kind === 'forget') {
        this.registry.remove(f);
        forget.push(f.id);
      }
    }
    // One transaction for all: thousands of files cleaned up at once are forgotten in one commit.
    if (forget.length > 0) this.ctx.intake.forgetCheckpoints(this.name, forget);
    this.metrics.set('log2events_file_open_files', 'File descriptors the source holds open', this.labels, this.descriptors.open);
    this.metrics.set(
      'log2events_file_followed_files',
      'Files the source follows (open or closed for room)',
      this.labels,
      this.registry.attachedCount,
    );
  }

  /**
   * Stats the paths that watch events reported written to, as a poll would (the same checks for
   * truncation and rewrites): a followed file that grew becomes due and is read right after.
   * Files gone are left to the next poll, which lets go of them.
   */
  private async pollChanged(): Promise<void> {
    const paths = [...this.changed];
    this.changed.clear();
    const now = Date.now();
    const seen = new Set<TrackedFile>();
    const inodes = new Set<string>();
    for (const path of paths) {
      if (this.stopped) return;
      if (this.paths.has(path)) await this.pollPath(path, false, true, now, seen, inodes);
    }
  }

  /** One path of a poll: stat it (unless it is idle and not due), follow or queue what is there. */
  private async pollPath(
    path: string,
    initial: boolean,
    full: boolean,
    now: number,
    seen: Set<TrackedFile>,
    inodes: Set<string>,
  ): Promise<void> {
    const check = this.checks.get(path);
    const known = this.pathFile.get(path);
    if (!full && check && check.next > now && known?.open) {
      // Idle and not due: taken as still there (a rename or deletion raises a watch event, which
      // makes the path due; the periodic rescan covers lost events).
      seen.add(known);
      inodes.add(inodeKey(known.dev, known.ino));
      return;
    }
    // Synchronous on purpose: ~2 µs of CPU per stat against ~12 µs through the thread pool and a
    // promise, which with thousands of files was most of the agent's time; a slice of POLL_SLICE
    // paths blocks for a few ms.
    let st: Stats | undefined;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st) {
      this.paths.delete(path);
      this.checks.delete(path);
      this.pathFile.delete(path);
      return;
    }
    if (!st.isFile()) return;
    inodes.add(inodeKey(st.dev, st.ino));
    let f: TrackedFile | undefined;
    try {
      f = await this.follow(path, st, initial);
    } catch (err) {
      // One unreadable file must not stop the others; an open one stays as it was.
      f = this.registry.attachedAt(st.dev, st.ino);
      this.warnOnce(path, 'cannot follow file', err);
    }
    const base = this.config.poll_interval;
    if (f?.open) {
      seen.add(f);
      this.pathFile.set(path, f);
      // Changed (or still being read): every poll; unchanged: less and less often.
      const interval =
        f.open.due || !check
          ? base
          : Math.min(check.interval * 2, Math.max(base, Math.min(base * IDLE_CHECK_MAX_POLLS, IDLE_CHECK_MAX_MS)));
      this.checks.set(path, { next: now + interval, interval });
    } else {
      this.pathFile.delete(path);
      this.checks.delete(path);
    }
  }

  /** Looks at a path found in a poll; answers the followed file at it, if any (a new inode is queued for examination). */
  private async follow(path: string, st: Stats, initial: boolean): Promise<TrackedFile | undefined> {
    const f = this.registry.attachedAt(st.dev, st.ino);
    if (f?.open) {
      f.open.at = path;
      if (await this.stillSameFile(f, f.open, st)) return f;
      // Truncated (copytruncate) or rewritten: the old content lives on only in a copy, if any.
      this.metrics.inc('log2events_file_truncations_total', 'Files found truncated or rewritten in place', this.labels);
      this.logger.info('file truncated or rewritten in place; reading it from the start', { path });
      f.replaced = true;
      await this.detach(f);
    }
    // A copy of a file still being read elsewhere, or compressed: nothing to read here.
    if (st.size === 0 || this.registry.ignores(st.dev, st.ino)) return undefined;
    if (!this.toExamine.has(path)) this.toExamine.set(path, initial);
    return undefined;
  }

  /**
   * Examines up to EXAMINE_BATCH queued paths; the starting positions of the new files among
   * them are committed in one commit. Answers whether any file was attached.
   */
  private async examineBatch(): Promise<boolean> {
    const batch: [string, boolean][] = [];
    for (const entry of this.toExamine) {
      batch.push(entry);
      if (batch.length === EXAMINE_BATCH) break;
    }
    const started: TrackedFile[] = [];
    let attached = false;
    for (const [path, initial] of batch) {
      if (this.stopped) break;
      if (this.toExamine.size % HOT_EVERY === 0) await this.readHot();
      this.toExamine.delete(path);
      try {
        const f = await this.examine(path, initial, started);
        if (f?.open) {
          attached = true;
          this.pathFile.set(path, f);
        }
      } catch (err) {
        // Left for the next poll to queue again: a file is never skipped for an error here.
        this.warnOnce(path, 'cannot examine file', err);
      }
    }
    // The starting position of a new file survives a restart (start_at: end is decided once).
    if (started.length > 0) await this.commitFiles(started);
    return attached;
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
      o.size = st.size;
      o.mtimeMs = st.mtimeMs;
      head = await readHead(fh, this.config.fingerprint_bytes);
      const headOk = headMatches(head, f.fp);
      facts.content = { headMatches: headOk, tailMatches: headOk && (await o.readTail.matches(fh)) };
      decision = judgeFollowed(facts);
    }
    if (decision === 'truncated' || decision === 'rewritten') return false;
    if (decision === 'grown') {
      if (head) this.registry.strengthen(f, head, this.config.fingerprint_bytes);
      o.due = true;
    }
    return true;
  }

  /**
   * Whether a file whose first bytes match an open file is a copy of it (its bytes so far are
   * the open file's bytes), or the open file was truncated since (copytruncate), or it is a
   * different file that starts the same way (a common banner longer than the fingerprint).
   */
  private async copyOf(
    fh: FileHandle,
    size: number,
    original: TrackedFile,
    o: OpenFile,
  ): Promise<'copy' | 'original truncated' | 'different'> {
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

  /**
   * A file at an inode not attached yet: a known file under a new name, a copy, or a new file
   * (pushed on `started`: its starting position is committed with the batch's).
   */
  private async examine(path: string, initial: boolean, started: TrackedFile[]): Promise<TrackedFile | undefined> {
    let fh: FileHandle;
    try {
      fh = await this.descriptors.openFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let attached = false;
    try {
      const st = await fh.stat();
      const head = await readHead(fh, this.config.fingerprint_bytes);
      const facts = this.registry.newInodeFacts(path, st, head, initial, Date.now());
      let decision = identifyNewInode(facts, this.identity);
      if (decision.kind === 'check tail') {
        const { file } = decision;
        facts.tailMatches = file.tail !== undefined && (await tailMatches(fh, file.position.offset, file.tail));
        decision = identifyNewInode(facts, this.identity);
      }
      if (decision.kind === 'check copy' && decision.file.open) {
        facts.copy = await this.copyOf(fh, st.size, decision.file, decision.file.open);
        decision = identifyNewInode(facts, this.identity);
      }
      let f: TrackedFile;
      switch (decision.kind) {
        case 'followed':
          return decision.file;
        case 'compressed':
          // Rotated logs compressed in place (app.log.2.gz) when a glob like app.log* takes them in.
          this.registry.markCompressed(st.dev, st.ino);
          this.warnOnce(path, 'skipping compressed file (add it to exclude, e.g. "**/*.gz")', undefined);
          return undefined;
        case 'copy':
          this.registry.markCopy(st.dev, st.ino, decision.of);
          return undefined;
        case 'empty':
        case 'first line incomplete':
        case 'check tail':
        case 'check copy':
          return undefined;
        case 'known':
          f = decision.file;
          if (decision.originalTruncated) {
            this.metrics.inc('log2events_file_truncations_total', 'Files found truncated or rewritten in place', this.labels);
            await this.detach(f);
          }
          if (f.path !== path || f.dev !== st.dev || f.ino !== st.ino)
            this.logger.info('following known file', { path, id: f.id, previous: f.path, offset: f.position.offset });
          break;
        case 'new': {
          if (decision.rewritten) {
            decision.rewritten.replaced = true;
            this.metrics.inc('log2events_file_truncations_total', 'Files found truncated or rewritten in place', this.labels);
            this.logger.info('file rewritten in place since its position was written; reading it from the start', { path });
          }
          const fp = fingerprintOf(head, this.config.fingerprint_bytes);
          const id = newFileId(fp, st, this.config.fingerprint_bytes, (taken) => this.registry.has(taken));
          const offset = decision.atEnd ? st.size : 0;
          // Starting at the end of a file that ends mid-line: the rest of that line is not a line.
          const skip = decision.atEnd && st.size > 0 && (await lastByte(fh, st.size)) !== 0x0a;
          f = { id, fp, path, dev: st.dev, ino: st.ino, position: { offset, skip }, detachedAt: facts.now };
          this.registry.add(f);
          started.push(f);
          this.logger.info('following new file', { path, id, offset });
          break;
        }
      }
      f.path = path;
      f.dev = st.dev;
      f.ino = st.ino;
      this.registry.strengthen(f, head, this.config.fingerprint_bytes);
      await this.attach(f, fh, st, head, path);
      attached = true;
      return f;
    } finally {
      if (!attached) await this.descriptors.close(fh);
    }
  }

  private async attach(f: TrackedFile, fh: FileHandle, st: Stats, head: Buffer, path: string): Promise<void> {
    const format = await this.formatOf(fh, head);
    const multiline = this.config.multiline ? new MultilineAggregator(this.config.multiline) : undefined;
    const shared = fileRecordContext(path, await realpath(path).catch(() => path));
    const cursor = new FileCursor(f.position, {
      maxLineBytes: this.config.max_line_bytes,
      decoder: createDecoder(format, this.config),
      multiline,
      literals: this.literalsFor(format),
      guard: guardFor(format),
      onEntry: (entry) => this.onEntry(f, shared, entry),
      onTruncated: () => this.metrics.inc('log2events_file_lines_truncated_total', 'Lines cut at max_line_bytes', this.labels),
    });
    const open: OpenFile = {
      fh,
      at: path,
      due: true,
      size: st.size,
      mtimeMs: st.mtimeMs,
      dataAt: Date.now(),
      readSize: CHUNK_BYTES,
      cursor,
      backlog: { since: Date.now(), bytes: 0 },
      readTail: new ReadTail(),
    };
    f.open = open;
    this.registry.attach(f);
    this.descriptors.follow(f, fh, () => (open.fh = undefined));
  }

  private async formatOf(fh: FileHandle, head: Buffer): Promise<ConcreteFormat> {
    if (this.config.format !== 'auto') return this.config.format;
    // A head shorter than asked for is the whole file already.
    const buf = head.length >= DETECT_BYTES || head.length < this.config.fingerprint_bytes ? head : await readHead(fh, DETECT_BYTES);
    const nl = buf.indexOf(0x0a);
    const first = buf.toString('utf8', 0, nl < 0 ? buf.length : nl).replace(/\r$/, '');
    return detectFormat(first, nl >= 0);
  }

  /** The rules' literals as bytes, when a byte scan finds them reliably in this format. */
  private literalsFor(format: ConcreteFormat): Buffer[] | null {
    const cached = this.literalCache.get(format);
    if (cached !== undefined) return cached;
    const literals = this.ctx.processor.literalsFor(this.name);
    const usable = literals?.every((l) => literalSurvivesEnvelope(format, l)) ? literals.map((l) => Buffer.from(l)) : null;
    this.literalCache.set(format, usable);
    return usable;
  }

  /**
   * Stops reading a file in place (its inode now holds other content, or it is gone). Keeps the
   * committed position: what was read after it, and held back, is read again where it lives on.
   */
  private async detach(f: TrackedFile): Promise<void> {
    const o = f.open;
    if (!o) return;
    // Truncated, rewritten or let go: what was delivered from memory must not depend on it.
    this.ctx.intake.secure?.();
    f.detachedAt = Date.now();
    this.registry.detach(f);
    this.hot.delete(f);
    f.open = undefined;
    if (o.fh) await this.descriptors.close(o.fh, f);
  }

  /** Lets go of a file that is gone: reads it to the end, completes what is held, closes it. */
  private async release(f: TrackedFile): Promise<void> {
    const o = f.open;
    if (!o) return;
    while (!this.stopped && f.open && (await this.readSome(f)));
    if (!f.open) return;
    if (o.cursor.hasPending) {
      o.cursor.flush();
      await this.commit(f);
    }
    this.logger.info('released file', { path: f.path, id: f.id });
    await this.detach(f);
  }

  private warnOnce(path: string, msg: string, error: unknown): void {
    const key = `${msg}\0${path}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(msg, { path, error });
  }

  private async close(f: TrackedFile): Promise<void> {
    const o = f.open;
    if (!o) return;
    this.registry.detach(f);
    f.open = undefined;
    if (o.fh) await this.descriptors.close(o.fh, f);
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  // One iterator shared by the workers: each takes the next item when it is free.
  const queue = items.values();
  const worker = async () => {
    for (const item of queue) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function lastByte(fh: FileHandle, size: number): Promise<number | undefined> {
  const buf = Buffer.alloc(1);
  const { bytesRead } = await fh.read(buf, 0, 1, size - 1);
  return bytesRead === 1 ? buf[0] : undefined;
}

function guardFor(format: ConcreteFormat): PartialGuard {
  return format === 'cri' ? 'cri' : format === 'docker' ? 'docker' : 'none';
}
