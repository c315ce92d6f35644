import { existsSync, readdirSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { Logger } from '../../observability/logger.ts';
import { DirWatch } from './dir-watch.ts';
import { TargetWatches } from './target-watches.ts';

const READY_TIMEOUT_MS = 5000;
/** Names whose verdicts a directory's watch keeps (see Discovery.watchDir). */
const MAX_NAME_VERDICTS = 4096;
/** A directory watched directly is muted until the next pass only while it holds this few included files. */
const MUTE_MAX_FILES = 32;

export type PathEvent = 'add' | 'change' | 'rescan';
/** Answers whether a pass will look at `path` for this event (then the watch may be muted until it). */
export type OnPathEvent = (event: PathEvent, path: string) => boolean;

/**
 * Which files the source reads: `include` globs minus `exclude` globs. A glob walk finds the
 * files (at start and periodically, since inotify events can be lost); chokidar watches the
 * directories under each glob's base so that new, removed and written files are noticed at once
 * (the poll is the fallback where events do not come).
 */
export class Discovery {
  readonly include: string[];
  readonly exclude: string[];
  private readonly isIncluded: (path: string) => boolean;
  private readonly isExcluded: (path: string) => boolean;
  private watcher: FSWatcher | undefined;
  /** Watches of the directories of patterns whose wildcards are in the file name (see watchPlan). */
  private readonly dirWatchers: DirWatch[] = [];
  /** Those muted until the next pass (see DirWatch). */
  private readonly muted = new Set<DirWatch>();
  /** Directories watched directly (see watchPlan). */
  private readonly watchedDirs = new Set<string>();
  /** Watches of the directories of linked files' targets (set up by watch()). */
  private targets: TargetWatches | undefined;
  /** Per directory watched directly: how many included files it held when last listed. */
  private readonly includedIn = new Map<string, number>();
  /** Per directory watched directly: each name's included path, or null. */
  private readonly verdicts = new Map<string, Map<string, string | null>>();

  constructor(include: readonly string[], exclude: readonly string[]) {
    this.include = include.map(absolutePattern);
    this.exclude = exclude.map((p) => (p.startsWith('**') ? p : absolutePattern(p)));
    this.isIncluded = picomatch(this.include, { dot: true });
    this.isExcluded = this.exclude.length > 0 ? picomatch(this.exclude, { dot: true }) : () => false;
  }

  matches(path: string): boolean {
    return this.isIncluded(path) && !this.isExcluded(path);
  }

  /** Every path currently matching (symlinks to files included, as the link's path). */
  async scan(): Promise<Set<string>> {
    const found = new Set<string>();
    for (const pattern of this.include) {
      try {
        for await (const path of glob(pattern, { exclude: (p) => this.isExcluded(resolve(p)) })) {
          const abs = resolve(path);
          if (this.matches(abs)) found.add(abs);
        }
      } catch {
        // A base directory that does not exist (yet) has no files.
      }
    }
    return found;
  }

  /**
   * Starts watching the directories under the glob bases (files themselves are not watched: one
   * watch per directory sees its children's writes too). A name
   * appearing or vanishing in a watched directory reports its path when it matches (`add`: look
   * at it; it may be gone already), a file written to reports `change` (the caller throttles
   * these: a busy file raises one per write); a new directory
   * asks for a rescan, since files created in it before its watch was set up raise no event.
   *
   * A pattern whose directory part is literal (`/var/log/app.log`, `/var/log/containers/*.log`)
   * has that one directory watched directly: chokidar runs an asynchronous reconciliation for
   * every event of a directory it watches, which with a write every 10 ms cost ~2 points of a
   * core more (bench/README.md). Patterns with wildcards in their directories (a `*` in a
   * directory name, or `**`) are watched through chokidar, which follows directories as they
   * come and go, and so is a directory that does not exist yet. Where a watch cannot be set up
   * (watch limits, network file systems) the poll finds what it would have.
   */
  watch(onEvent: OnPathEvent, logger: Logger): Promise<void> {
    const onRaw = (event: string, name: string | null | undefined, dir: string) => {
      if ((event !== 'rename' && event !== 'change') || !name) return;
      const path = resolve(dir, name);
      if (this.matches(path)) onEvent(event === 'rename' ? 'add' : 'change', path);
    };
    const { singleDirs, bases } = watchPlan(this.include);
    for (const dir of singleDirs) {
      const w = this.watchDir(dir, onEvent, logger);
      if (w) {
        this.dirWatchers.push(w);
        this.watchedDirs.add(dir);
      } else if (!existsSync(dir)) bases.add(dir); // chokidar notices the directory when it appears
    }
    this.targets = new TargetWatches(onEvent, logger, this.watchedDirs);
    if (bases.size === 0) return Promise.resolve();
    this.watcher = new FSWatcher({
      ignoreInitial: true,
      followSymlinks: true,
      persistent: false,
      ignored: (_path, stats) => stats !== undefined && !stats.isDirectory(),
    });
    this.watcher.on('raw', (event, name, details) => {
      const dir = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (typeof dir === 'string') onRaw(event, name, dir);
    });
    this.watcher.on('addDir', (path) => onEvent('rescan', path));
    this.watcher.on('unlinkDir', (path) => onEvent('rescan', path));
    this.watcher.on('error', (err) => logger.warn('file watcher error', { error: err }));
    const watcher = this.watcher;
    // Resolves once the watches are in place (events before that would be lost); a scan after
    // it finds whatever appeared meanwhile. A slow tree does not hold the start for long: the
    // periodic rescan covers it.
    const ready = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_TIMEOUT_MS);
      watcher.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    watcher.add([...bases]);
    return ready;
  }

  /**
   * One directory's watch. Each name's verdict (its path, or null where no pattern takes it) is
   * kept: a busy file raises an event per write, and resolving and matching its name each time
   * was most of the event's JavaScript. A write that asks for a pass mutes the watch until then.
   */
  private watchDir(dir: string, onEvent: OnPathEvent, logger: Logger): DirWatch | undefined {
    const w = new DirWatch(
      dir,
      (event, name) => {
        const path = this.pathIn(dir, name);
        if (path === null) return;
        const passDue = onEvent(event === 'rename' ? 'add' : 'change', path);
        // A pass after a mute looks at every included file of the directory: worth it while
        // they are few (events cost more than those looks), not for hundreds of idle files.
        if (passDue && event === 'change' && (this.includedIn.get(dir) ?? 0) <= MUTE_MAX_FILES) {
          w.mute();
          this.muted.add(w);
        }
      },
      (err) => logger.warn('file watcher error', { path: dir, error: err }),
    );
    try {
      w.open();
      return w;
    } catch (err) {
      // A directory that does not exist (yet), or no watch left: the poll covers it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        logger.warn('cannot watch directory; relying on polling', { path: dir, error: err });
      return undefined;
    }
  }

  /** The included path of `name` in a directory watched directly, or null (verdicts kept, bounded). */
  private pathIn(dir: string, name: string): string | null {
    let verdicts = this.verdicts.get(dir);
    if (!verdicts) {
      verdicts = new Map();
      this.verdicts.set(dir, verdicts);
    }
    let path = verdicts.get(name);
    if (path === undefined) {
      const abs = resolve(dir, name);
      path = this.matches(abs) ? abs : null;
      // Bounded: a directory whose names keep changing (timestamped files) does not grow it.
      if (verdicts.size >= MAX_NAME_VERDICTS) verdicts.clear();
      verdicts.set(name, path);
    }
    return path;
  }

  /**
   * Resumes the watches muted since the last pass and answers the paths the pass is to look at:
   * every included file of those directories (written to or created while no event came), and
   * the links whose targets' directories were muted.
   */
  resume(): string[] {
    const paths: string[] = [];
    for (const w of this.muted) {
      if (!w.resume()) continue;
      let names: string[];
      try {
        names = readdirSync(w.dir);
      } catch {
        continue; // gone: the poll lets its files go
      }
      let included = 0;
      for (const name of names) {
        const path = this.pathIn(w.dir, name);
        if (path === null) continue;
        paths.push(path);
        included++;
      }
      this.includedIn.set(w.dir, included);
    }
    this.muted.clear();
    if (this.targets) for (const path of this.targets.resume()) paths.push(path);
    return paths;
  }

  /** A file is followed at `path`: a link's target directory is watched too (see TargetWatches). */
  followTarget(path: string): void {
    this.targets?.follow(path);
  }

  /** The file at `path` is no longer followed. */
  unfollowTarget(path: string): void {
    this.targets?.unfollow(path);
  }

  async close(): Promise<void> {
    this.targets?.close();
    for (const w of this.dirWatchers.splice(0)) w.close();
    this.muted.clear();
    await this.watcher?.close();
    this.watcher = undefined;
  }
}

/**
 * Which directories to watch for `include`: those of patterns whose wildcards are all in the
 * file name, alone (`singleDirs`); the bases of the others, through chokidar (`bases`).
 */
export function watchPlan(include: readonly string[]): { singleDirs: Set<string>; bases: Set<string> } {
  const singleDirs = new Set<string>();
  const bases = new Set<string>();
  for (const pattern of include) {
    const scan = picomatch.scan(pattern);
    if (!scan.isGlob) singleDirs.add(dirname(pattern));
    else if (!scan.glob.includes('/') && !scan.glob.includes('**') && scan.base) singleDirs.add(scan.base);
    else bases.add(scan.base || '/');
  }
  return { singleDirs, bases };
}

function absolutePattern(pattern: string): string {
  return pattern.startsWith('/') ? pattern : resolve(pattern);
}
