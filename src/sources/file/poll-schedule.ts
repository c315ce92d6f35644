/**
 * When the file source looks at what: the paths a poll covers and the file followed at each,
 * the poll's timing, which paths a poll stats (idle files back off), what watch events make due,
 * when the glob walk runs again, and which recently active files are read between the slices of
 * a long poll or examination. Decisions only: the tailer does the stats and reads. Every method
 * takes the time it is asked at (`now`).
 */

/** The glob walk runs every this many polls (chokidar covers the time between). */
export const POLLS_PER_RESCAN = 10;
/** Paths stat'ed per slice of a poll; the followed files with new data are read between slices. */
export const POLL_SLICE = 1024;
/** Stats in flight at once during a poll. */
const STAT_CONCURRENCY = 32;
/**
 * A followed file that did not change is stat'ed less and less often, up to this many poll
 * intervals (and at most IDLE_CHECK_MAX_MS apart): thousands of idle files cost little, and a file
 * that changes is checked every poll_interval again.
 */
export const IDLE_CHECK_MAX_POLLS = 8;
export const IDLE_CHECK_MAX_MS = 1000;
/** A file that had data within this long is read between slices of polls and examinations. */
export const HOT_MS = 5000;
/** Examinations between two such reads. */
export const HOT_EVERY = 16;

/** The interval to a followed file's next stat: every poll after a change (or its first stat), doubling while idle. */
export function nextCheckInterval(previous: number | undefined, changed: boolean, pollInterval: number): number {
  if (changed || previous === undefined) return pollInterval;
  const cap = Math.max(pollInterval, Math.min(pollInterval * IDLE_CHECK_MAX_POLLS, IDLE_CHECK_MAX_MS));
  return Math.min(previous * 2, cap);
}

/** Stats in flight at once: few enough that the files they reopen never close each other for room. */
export function statConcurrency(descriptorBound: number): number {
  return Math.max(1, Math.min(STAT_CONCURRENCY, descriptorBound >> 2));
}

/** One slice of a poll: paths[start, end), and whether the hot files are read after it. */
export interface PollSlice {
  start: number;
  end: number;
  readHotAfter: boolean;
}

/**
 * The slices a poll of `count` paths is made of. The hot files are read between slices (not
 * after the last: the round reads every due file next), except in the first poll, before
 * anything is read.
 */
export function pollSlices(count: number, initial: boolean): PollSlice[] {
  const slices: PollSlice[] = [];
  for (let start = 0; start < count; start += POLL_SLICE) {
    const end = Math.min(count, start + POLL_SLICE);
    slices.push({ start, end, readHotAfter: !initial && end < count });
  }
  return slices;
}

/** Whether the hot files are read before the next examination, `queued` paths waiting to be examined. */
export function hotReadBeforeExamination(queued: number): boolean {
  return queued % HOT_EVERY === 0;
}

/** What a loop round looks at first: every path, the paths watch events reported written to, or neither. */
export type RoundStart = { kind: 'poll' } | { kind: 'changed'; paths: string[] } | { kind: 'none' };

/** How a poll goes: statting every path (a drain or the first poll), and whether it starts a glob walk. */
export interface PollPlan {
  full: boolean;
  rescan: boolean;
}

/** A followed file as the schedule sees it: open while attached to an inode. */
export interface ScheduledFile {
  open?: object | undefined;
}

export class PollSchedule<F extends ScheduledFile> {
  private readonly pollInterval: number;
  /** The paths a poll covers: found by the glob walk or a watch event, until a stat misses them. */
  private readonly paths = new Set<string>();
  /** The followed file last found at each path. */
  private readonly followed = new Map<string, F>();
  /** When each path is stat'ed next, and its current interval (idle files back off). */
  private readonly checks = new Map<string, { next: number; interval: number }>();
  /** Followed paths written to since the loop last looked (watch events): stat'ed on the next round. */
  private readonly changed = new Set<string>();
  /** The throttle let a pass over `changed` go (writes during a pass wait for the next one). */
  private changeDue = false;
  private lastPoll = 0;
  /** The next poll stats every path, backed off or not (a drain was asked for). */
  private fullPoll = false;
  private pollCount = 0;
  private rescanDue = false;

  constructor(pollInterval: number) {
    this.pollInterval = pollInterval;
  }

  /** Paths the glob walk found; answers whether any is new. */
  found(paths: Iterable<string>): boolean {
    const before = this.paths.size;
    for (const p of paths) this.paths.add(p);
    return this.paths.size > before;
  }

  covers(path: string): boolean {
    return this.paths.has(path);
  }

  /** The paths a poll covers (a copy: watch events may add some meanwhile). */
  all(): string[] {
    return [...this.paths];
  }

  /**
   * A watch event says a path was written to: stat it on the next pass, and at the next poll
   * however idle it was. Answers false for a path the poll does not cover (nothing to do).
   */
  written(path: string): boolean {
    if (!this.paths.has(path)) return false;
    this.checks.delete(path);
    this.changed.add(path);
    return true;
  }

  /** A known path is to be looked at by the next pass or poll; false for a path not known. */
  recheck(path: string): boolean {
    if (!this.paths.has(path)) return false;
    this.checks.delete(path);
    return true;
  }

  /** The change throttle let a pass over the written paths go. */
  changePassDue(): void {
    this.changeDue = true;
  }

  /** A path appeared: stat it at the next poll, which is now. */
  appeared(path: string): void {
    this.paths.add(path);
    this.checks.delete(path);
    this.pollNow();
  }

  /** A path vanished: the next poll walks the globs again (a lost event may hide others). */
  vanished(): void {
    this.rescanDue = true;
    this.pollNow();
  }

  pollNow(): void {
    this.lastPoll = 0;
  }

  /** A drain was asked for: the next poll, now, stats every path. */
  pollAllNow(): void {
    this.fullPoll = true;
    this.lastPoll = 0;
  }

  /** A full poll is asked for and has not run yet. */
  get fullPollPending(): boolean {
    return this.fullPoll;
  }

  /** What the round at `now` starts with; a poll takes in the written paths too. */
  roundStart(now: number): RoundStart {
    if (now - this.lastPoll >= this.pollInterval) {
      this.changed.clear();
      this.changeDue = false;
      return { kind: 'poll' };
    }
    if (this.changeDue && this.changed.size > 0) {
      this.changeDue = false;
      const paths = [...this.changed];
      this.changed.clear();
      return { kind: 'changed', paths };
    }
    return { kind: 'none' };
  }

  /** A poll starts at `now`; `scanning`: a glob walk is still running (no second one). */
  beginPoll(now: number, initial: boolean, scanning: boolean): PollPlan {
    this.lastPoll = now;
    const full = initial || this.fullPoll;
    this.fullPoll = false;
    const rescan = !initial && (++this.pollCount % POLLS_PER_RESCAN === 0 || this.rescanDue) && !scanning;
    if (rescan) this.rescanDue = false;
    return { full, rescan };
  }

  /**
   * The followed file at a path this poll does not stat: idle and its backed-off interval not up
   * (never in a full poll). It is taken as still there: a rename or deletion raises a watch
   * event, which makes the path due; the glob walk covers lost events.
   */
  idleAt(path: string, now: number, full: boolean): F | undefined {
    if (full) return undefined;
    const f = this.followed.get(path);
    if (!f?.open) return undefined;
    const check = this.checks.get(path);
    return check && check.next > now ? f : undefined;
  }

  /**
   * A path was stat'ed at `now` and `f` found followed there, if anything: it is next stat'ed
   * after a poll interval if it `changed` (has data to read), after a longer one while idle.
   */
  checked(path: string, now: number, f: F | undefined, changed: boolean): void {
    if (!f?.open) {
      this.followed.delete(path);
      this.checks.delete(path);
      return;
    }
    this.followed.set(path, f);
    const interval = nextCheckInterval(this.checks.get(path)?.interval, changed, this.pollInterval);
    this.checks.set(path, { next: now + interval, interval });
  }

  /** An examination attached `f` at the path. */
  attached(path: string, f: F): void {
    this.followed.set(path, f);
  }

  /** A stat found nothing at the path: a poll no longer covers it. */
  gone(path: string): void {
    this.paths.delete(path);
    this.checks.delete(path);
    this.followed.delete(path);
  }

  /** How long the loop may sleep at `now` before the next poll. */
  sleepMs(now: number): number {
    return Math.max(1, this.pollInterval - (now - this.lastPoll));
  }
}

/**
 * The files written to lately (after their backlog): read between the slices of long polls and
 * examinations too, so that thousands of new files do not hold up the files being written to.
 */
export class HotFiles<F> {
  private readonly files = new Set<F>();

  add(f: F): void {
    this.files.add(f);
  }

  delete(f: F): void {
    this.files.delete(f);
  }

  /** The files that had data within HOT_MS of `now` (`dataAt`: undefined once a file is closed); the others are dropped. */
  due(now: number, dataAt: (f: F) => number | undefined): F[] {
    const due: F[] = [];
    for (const f of this.files) {
      const at = dataAt(f);
      if (at === undefined || now - at > HOT_MS) this.files.delete(f);
      else due.push(f);
    }
    return due;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  // One iterator shared by the workers: each takes the next item when it is free.
  const queue = items.values();
  const worker = async () => {
    for (const item of queue) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
