import { glob } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { Logger } from '../../observability/logger.ts';

export type PathEvent = 'add' | 'change' | 'unlink';

/**
 * Which files the source reads: `include` globs minus `exclude` globs. A glob walk finds the
 * files (at start and periodically, since inotify events can be lost); chokidar watches the
 * directories under each glob's base so that new, changed and removed files are noticed at once.
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

  /** Starts watching the glob bases; `onEvent` runs for matching paths. */
  watch(onEvent: (event: PathEvent, path: string) => void, logger: Logger): void {
    const bases = [...new Set(this.include.map((p) => picomatch.scan(p).base || '/'))];
    this.watcher = new FSWatcher({
      ignoreInitial: true,
      followSymlinks: true,
      persistent: false,
      // Files that match no glob are not watched; directories are, to find files below them.
      ignored: (path, stats) => stats?.isFile() === true && !this.matches(path),
    });
    this.watcher.on('add', (path) => this.matches(path) && onEvent('add', path));
    this.watcher.on('change', (path) => this.matches(path) && onEvent('change', path));
    this.watcher.on('unlink', (path) => this.matches(path) && onEvent('unlink', path));
    this.watcher.on('error', (err) => logger.warn('file watcher error', { error: err }));
    this.watcher.add(bases);
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }
}

function absolutePattern(pattern: string): string {
  return pattern.startsWith('/') ? pattern : resolve(pattern);
}
