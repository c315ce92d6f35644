import { glob } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { Logger } from '../../observability/logger.ts';

const READY_TIMEOUT_MS = 5000;

export type PathEvent = 'add' | 'change' | 'rescan';

/**
 * Which files the source reads: `include` globs minus `exclude` globs. A glob walk finds the
 * files (at start and periodically, since inotify events can be lost); chokidar watches the
 * directories under each glob's base so that new and removed files are noticed at once (appends
 * are the poll's business).
 */
export class Discovery {
  readonly include: string[];
  readonly exclude: string[];
  private readonly isIncluded: (path: string) => boolean;
  private readonly isExcluded: (path: string) => boolean;
  private watcher: FSWatcher | undefined;

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
   * Starts watching the directories under the glob bases (files themselves are not watched:
   * appends are the poll's business, and per-file events would cost a stat per write). A name
   * appearing or vanishing in a watched directory reports its path when it matches (`add`: look
   * at it; it may be gone already), a file written to reports `change` (the directory's watch
   * sees its children's writes; the poll then looks at it however idle it was); a new directory
   * asks for a rescan, since files created in it before its watch was set up raise no event.
   */
  watch(onEvent: (event: PathEvent, path: string) => void, logger: Logger): Promise<void> {
    const bases = [...new Set(this.include.map((p) => picomatch.scan(p).base || '/'))];
    this.watcher = new FSWatcher({
      ignoreInitial: true,
      followSymlinks: true,
      persistent: false,
      ignored: (_path, stats) => stats !== undefined && !stats.isDirectory(),
    });
    this.watcher.on('raw', (event, name, details) => {
      const dir = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if ((event !== 'rename' && event !== 'change') || !name || typeof dir !== 'string') return;
      const path = resolve(dir, name);
      if (this.matches(path)) onEvent(event === 'rename' ? 'add' : 'change', path);
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
    watcher.add(bases);
    return ready;
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }
}

function absolutePattern(pattern: string): string {
  return pattern.startsWith('/') ? pattern : resolve(pattern);
}
