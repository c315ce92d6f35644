import type { Event } from '../../model/event.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Checkpoint, CommitOptions, SourceContext } from '../source.ts';
import { encodeCheckpoint } from './checkpoint.ts';
import { flushTimeoutMs, type ConcreteFormat, type FileSourceConfig } from './config.ts';
import { CHUNK_BYTES, ChunkReader, nextReadSize } from './chunk-reader.ts';
import { FileCursor, type PartialGuard } from './cursor.ts';
import { DescriptorPool } from './descriptors.ts';
import { Discovery } from './discovery.ts';
import { FileRegistry, inodeKey } from './file-registry.ts';
import { Examiner } from './examiner.ts';
import { judgePresence } from './identity.ts';
import { createDecoder, literalSurvivesEnvelope, type Entry } from './formats/index.ts';
import { entryRecord } from '../line-record.ts';
import type { FileRecordContext } from './record-context.ts';
import {
  forEachLimit,
  hotReadBeforeExamination,
  HotFiles,
  PollSchedule,
  pollSlices,
  type RoundStart,
  statConcurrency,
} from './poll-schedule.ts';
import { handleOf, restoredFile, type TrackedFile } from './tracked-file.ts';
import { MultilineAggregator } from './multiline.ts';
import { WakeThrottle } from './wake-throttle.ts';

/**
 * A backlog commits once per turn (up to CHUNKS_PER_TURN chunks: one transaction and one fsync
 * instead of one per chunk), or after a chunk once this many events wait. Commits are
 * replayable: delivered from memory, their checkpoints written once a whole commit is
 * delivered (delivery/ack-tracker.ts), so this is also the most a crash can send again beyond
 * the requests in flight.
 */
const COMMIT_EVENTS = 128;
/** What a file source's commits are: its events can be read again from behind its checkpoints. */
const REPLAYABLE = { replayable: true } as const;
/** Chunks read from one file before the others get a turn. */
const CHUNKS_PER_TURN = 32;
/**
 * New files examined per batch: their starting positions are committed together (one
 * transaction), and the followed files are read between batches.
 */
const EXAMINE_BATCH = 64;

/**
 * Tails the files a Discovery finds: polls them, reads them and commits their events with their
 * checkpoints, waiting when the spool is full. The parts it wires: when to look at what
 * (PollSchedule), which file is where (FileRegistry, with the decisions of identity.ts and the
 * reads of Examiner), reading (ChunkReader), lines to entries (FileCursor and the formats) and
 * entries to records (line-record.ts).
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
  /** Finds out which file is at a path (the reads identity.ts asks for) and attaches it. */
  private readonly examiner: Examiner;
  /** The paths polled and when each is stat'ed, and what a round looks at. */
  private readonly schedule: PollSchedule<TrackedFile>;
  /** A glob walk in progress. */
  private scanning: Promise<void> | undefined;
  /** Files written to lately: read between the slices of long polls and examinations too. */
  private readonly hot = new HotFiles<TrackedFile>();
  private readonly literalCache = new Map<ConcreteFormat, Buffer[] | null>();
  private readonly labels: { source: string };
  private readonly warned = new Set<string>();
  /** Reads chunks of one file at a time, double-buffered (see ChunkReader). */
  private readonly reader = new ChunkReader();
  private events: Event[] = [];
  private stopped = false;
  private wake: (() => void) | undefined;
  private wakePending = false;
  private loop: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  /** Aborted by stop() or by the agent's signal: ends sleeps and waits for spool room. */
  private readonly halt = new AbortController();
  private readonly signal: AbortSignal;
  /**
   * Writes to a followed file (inotify events through the directory watch) wake the loop at most
   * once per `watch_interval`: a busy file raises an event per write, and one stat-and-read pass
   * takes in all the writes of the gap. Each pass costs a stat, two reads for the truncation and
   * rewrite checks and the read itself (see WATCH_INTERVAL_DEFAULT_MS for the trade-off).
   */
  private readonly changeWake: WakeThrottle;
  /** The first write event since a round last looked: when the data it announced was noticed. */
  private noticedAt: number | undefined;
  /** What this round's commits say: the notice the round answers, if any (its first turn only). */
  private commitOptions: CommitOptions = REPLAYABLE;

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
    this.schedule = new PollSchedule(config.poll_interval);
    this.changeWake = new WakeThrottle(() => {
      this.schedule.changePassDue();
      this.poke();
    }, config.watch_interval);
    this.descriptors = new DescriptorPool(config.max_open_files, (limit) =>
      this.logger.warn('out of file descriptors (EMFILE): holding fewer files open; the others are reopened when they have data', {
        max_open_files: limit,
      }),
    );
    this.examiner = new Examiner({
      config,
      identity: {
        fingerprintBytes: config.fingerprint_bytes,
        rotateWait: config.rotate_wait,
        detectsFormat: config.format === 'auto',
        flushTimeoutMs: flushTimeoutMs(config),
        startAtEnd: config.start_at === 'end',
      },
      registry: this.registry,
      descriptors: this.descriptors,
      logger: this.logger,
      onTruncated: () => this.metrics.inc('log2events_file_truncations_total', 'Files found truncated or rewritten in place', this.labels),
      warnOnce: (path, msg, error) => this.warnOnce(path, msg, error),
      detach: (f) => this.detach(f),
      cursorFor: (f, format, context) => this.cursorFor(f, format, context),
    });
  }

  async start(): Promise<void> {
    const now = Date.now();
    for (const [id, value] of this.ctx.intake.checkpoints(this.name)) {
      const f = restoredFile(id, value, now);
      if (f) this.registry.restore(f);
      else this.logger.warn('ignoring unreadable file checkpoint', { key: id });
    }
    // New and removed files wake the loop at once; appends wake it too, at most once per
    // watch_interval, so a busy file costs one stat and read pass per gap instead of one per
    // write. The poll stays the fallback where no events come (network file systems, watch limits).
    await this.discovery.watch((event, path) => {
      if (event === 'change') {
        // Written to: stat it now (a pass over the changed paths only), and at the next poll
        // however idle it was. The answer lets the watch mute until that pass (see DirWatch).
        if (!this.schedule.written(path)) return false;
        this.noticedAt ??= Date.now();
        this.changeWake.signal();
        return true;
      }
      if (event === 'add') this.schedule.appeared(path);
      else this.schedule.vanished();
      this.poke();
      return false;
    }, this.logger);
    this.schedule.found(await this.discovery.scan());
    await this.poll(true);
    // Files present at start are examined now, so that start_at: end means the end at start.
    while (this.examiner.queued > 0 && !this.stopped) await this.examineBatch();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    this.changeWake.cancel();
    this.poke();
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
      this.schedule.pollAllNow();
      this.poke();
    });
  }

  /** Wakes the loop (what it looks at is the schedule's to say). */
  private poke(): void {
    this.wakePending = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.signal.aborted) {
      let progressed = false;
      try {
        const round = this.schedule.roundStart(Date.now());
        // A round that looks again answers the notices so far; later turns of a long read are
        // plain commits (a burst read over many turns is batched as usual).
        this.commitOptions =
          round.kind !== 'none' && this.noticedAt !== undefined ? { ...REPLAYABLE, noticedAt: this.noticedAt } : REPLAYABLE;
        if (round.kind !== 'none') {
          this.noticedAt = undefined;
          this.resumeWatches(round);
        }
        if (round.kind === 'poll') await this.poll(false);
        else if (round.kind === 'changed') await this.pollChanged(round.paths);
        this.wakePending = false;
        if (this.examiner.queued > 0) progressed = (await this.examineBatch()) || progressed;
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
      if (progressed || this.wakePending || this.stopped || this.examiner.queued > 0) continue;
      if (
        this.drainWaiters.length > 0 &&
        !this.schedule.fullPollPending &&
        !this.registry.attached().some((f) => f.open?.cursor.hasPending)
      ) {
        for (const resolve of this.drainWaiters.splice(0)) resolve();
      }
      await this.sleep(this.schedule.sleepMs(Date.now()));
    }
  }

  /**
   * Watches muted since the last pass resume before this one looks: the files of their
   * directories join a pass over changed paths (a poll looks at them anyway once due, so they are
   * made due); names the schedule does not know yet are looked at as new.
   */
  private resumeWatches(round: RoundStart): void {
    const resumed = this.discovery.resume();
    if (resumed.length === 0) return;
    const inRound = new Set(round.kind === 'changed' ? round.paths : []);
    for (const path of resumed) {
      if (!this.schedule.recheck(path)) this.schedule.appeared(path);
      else if (round.kind === 'changed' && !inRound.has(path)) {
        inRound.add(path);
        round.paths.push(path);
      }
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

  /** Reads the files written to lately (see HotFiles; a read at the end of a file costs one read). */
  private async readHot(): Promise<void> {
    for (const f of this.hot.due(Date.now(), (file) => file.open?.dataAt)) {
      if (this.stopped) return;
      await this.readSome(f);
    }
  }

  /**
   * Reads up to a turn's worth of chunks; answers whether it read anything. While one chunk is
   * processed and committed, the next one is already being read (see ChunkReader).
   */
  private async readSome(f: TrackedFile): Promise<boolean> {
    const o = f.open;
    if (!o) return false;
    const fh = await handleOf(f, o, this.descriptors, (path, err) => this.warnOnce(path, 'cannot reopen file', err));
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
    if (!progressed && f.open && o.cursor.hasPending && Date.now() - o.dataAt >= flushTimeoutMs(this.config)) {
      o.cursor.flush();
      await this.commit(f);
    }
    if (progressed) {
      this.descriptors.touch(f);
      // Written to after its backlog was read (not a new file being read once): a live file.
      if (!o.backlog) this.hot.add(f);
    }
    // Caught up: a read reached the end (a pass ends on a short read, so a read that finds
    // nothing may never come).
    if ((!progressed || reader.atEnd) && o.backlog) {
      const { since, bytes } = o.backlog;
      o.backlog = undefined;
      const seconds = (Date.now() - since) / 1000;
      if (bytes >= CHUNK_BYTES)
        this.logger.info('caught up', { path: f.path, bytes, seconds, mb_per_s: Math.round(bytes / 1e6 / Math.max(seconds, 0.001)) });
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
      const result = this.ctx.intake.commit(events, checkpoints, this.commitOptions);
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
   * Stats the known paths (idle ones less often, see PollSchedule), in slices with a few stats in
   * flight, reading the followed files that changed between slices; queues paths at inodes not
   * followed yet for examination; lets go of files that are gone.
   */
  private async poll(initial: boolean): Promise<void> {
    const { full, rescan } = this.schedule.beginPoll(Date.now(), initial, this.scanning !== undefined);
    if (rescan) {
      // In the background: walking a tree of thousands of files takes a while, and the files
      // already followed are not kept waiting for it. A poll looks at what it found at once.
      this.scanning = this.discovery
        .scan()
        .then((found) => {
          if (!this.schedule.found(found)) return;
          this.schedule.pollNow();
          this.poke();
        })
        .catch((err: unknown) => this.logger.warn('file glob walk failed', { error: err }))
        .finally(() => (this.scanning = undefined));
    }
    const seen = new Set<TrackedFile>();
    const inodes = new Set<string>();
    const paths = this.schedule.all();
    for (const slice of pollSlices(paths.length, initial)) {
      if (this.stopped) break;
      const now = Date.now();
      const concurrency = statConcurrency(this.descriptors.bound);
      await forEachLimit(paths.slice(slice.start, slice.end), concurrency, (path) => this.pollPath(path, initial, full, now, seen, inodes));
      // Thousands of paths take a while: the files being written to are not kept waiting.
      if (slice.readHotAfter) await this.readHot();
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
  private async pollChanged(paths: readonly string[]): Promise<void> {
    const now = Date.now();
    const seen = new Set<TrackedFile>();
    const inodes = new Set<string>();
    for (const path of paths) {
      if (this.stopped) return;
      if (this.schedule.covers(path)) await this.pollPath(path, false, true, now, seen, inodes);
    }
  }

  /** One path of a poll: look at it (unless it is idle and not due), follow or queue what is there. */
  private async pollPath(
    path: string,
    initial: boolean,
    full: boolean,
    now: number,
    seen: Set<TrackedFile>,
    inodes: Set<string>,
  ): Promise<void> {
    const idle = this.schedule.idleAt(path, now, full);
    if (idle) {
      seen.add(idle);
      inodes.add(inodeKey(idle.dev, idle.ino));
      return;
    }
    const found = await this.examiner.look(path, initial);
    if (found === 'gone') return this.schedule.gone(path);
    if (found === 'not a file') return;
    inodes.add(inodeKey(found.dev, found.ino));
    const f = found.followed;
    if (f?.open) seen.add(f);
    // Changed (or still being read): every poll; unchanged: less and less often.
    this.schedule.checked(path, now, f, f?.open?.due ?? false);
  }

  /**
   * Examines up to EXAMINE_BATCH queued paths; the starting positions of the new files among
   * them are committed in one commit. Answers whether any file was attached.
   */
  private async examineBatch(): Promise<boolean> {
    const started: TrackedFile[] = [];
    let attached = false;
    for (const [path, initial] of this.examiner.batch(EXAMINE_BATCH)) {
      if (this.stopped) break;
      if (hotReadBeforeExamination(this.examiner.queued)) await this.readHot();
      this.examiner.dequeue(path);
      try {
        const f = await this.examiner.examine(path, initial, started);
        if (f?.open) {
          attached = true;
          this.schedule.attached(path, f);
          this.discovery.followTarget(path);
          f.open.targetWatchedAt = path;
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

  /** The cursor that turns a file's bytes into entries, handed to the rules as records. */
  private cursorFor(f: TrackedFile, format: ConcreteFormat, shared: FileRecordContext): FileCursor {
    return new FileCursor(f.position, {
      maxLineBytes: this.config.max_line_bytes,
      decoder: createDecoder(format, this.config),
      multiline: this.config.multiline ? new MultilineAggregator(this.config.multiline) : undefined,
      literals: this.literalsFor(format),
      guard: guardFor(format),
      onEntry: (entry) => this.onEntry(f, shared, entry),
      onTruncated: () => this.metrics.inc('log2events_file_lines_truncated_total', 'Lines cut at max_line_bytes', this.labels),
    });
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
    if (o.targetWatchedAt !== undefined) this.discovery.unfollowTarget(o.targetWatchedAt);
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
    if (o.targetWatchedAt !== undefined) this.discovery.unfollowTarget(o.targetWatchedAt);
    if (o.fh) await this.descriptors.close(o.fh, f);
  }
}

function guardFor(format: ConcreteFormat): PartialGuard {
  return format === 'cri' ? 'cri' : format === 'docker' ? 'docker' : 'none';
}
