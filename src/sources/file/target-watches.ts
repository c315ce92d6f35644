import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../observability/logger.ts';
import { DirWatch } from './dir-watch.ts';

/** Answers whether a pass will look at `path` (then the watch is muted until it, see DirWatch). */
type OnEvent = (event: 'add' | 'change', path: string) => boolean;

interface TargetDir {
  watch: DirWatch;
  /** Target file name in this directory → the followed paths (links) that lead to it. */
  links: Map<string, Set<string>>;
}

/**
 * Watches the directories of the files that followed paths are symbolic links to. A directory
 * watch reports writes to the files in it, not to the targets of the links in it: Kubernetes'
 * `/var/log/containers/*.log` are links into `/var/log/pods/…/<container>/`, so without this a
 * write to a container's log is seen only by the next poll. A write (or a replacement, as on
 * rotation) of a target reports the link's path, as a write in the watched directory would.
 * Where a watch cannot be set up, the poll finds what it would have.
 */
export class TargetWatches {
  private readonly dirs = new Map<string, TargetDir>();
  /**
   * Followed path → its target's directory and name, and how many files follow it (a file that
   * replaced another at the path, as on rotation, is followed while the old one is drained).
   */
  private readonly byPath = new Map<string, { dir: string; name: string; files: number }>();
  private readonly onEvent: OnEvent;
  private readonly logger: Logger;
  /** Directories watched already (a target there is seen without a watch of its own). */
  private readonly watched: ReadonlySet<string>;
  private warned = false;

  constructor(onEvent: OnEvent, logger: Logger, watched: ReadonlySet<string>) {
    this.onEvent = onEvent;
    this.logger = logger;
    this.watched = watched;
  }

  /** Number of directories watched for targets. */
  get size(): number {
    return this.dirs.size;
  }

  /** A file is followed at `path`: when that is a link into a directory not watched, watch it. */
  follow(path: string): void {
    const known = this.byPath.get(path);
    if (known) {
      known.files++;
      return;
    }
    let real: string;
    try {
      if (!lstatSync(path).isSymbolicLink()) return;
      real = realpathSync(path);
    } catch {
      return; // gone already: the poll lets it go
    }
    const dir = dirname(real);
    if (this.watched.has(dir)) return;
    const name = basename(real);
    let target = this.dirs.get(dir);
    if (!target) {
      const created = this.watch(dir);
      if (!created) return;
      target = created;
      this.dirs.set(dir, target);
    }
    let links = target.links.get(name);
    if (!links) {
      links = new Set();
      target.links.set(name, links);
    }
    links.add(path);
    this.byPath.set(path, { dir, name, files: 1 });
  }

  /** A file followed at `path` is let go: the target's directory too, once nothing needs it. */
  unfollow(path: string): void {
    const at = this.byPath.get(path);
    if (!at || --at.files > 0) return;
    this.byPath.delete(path);
    const target = this.dirs.get(at.dir);
    if (!target) return;
    const links = target.links.get(at.name);
    links?.delete(path);
    if (links?.size === 0) target.links.delete(at.name);
    if (target.links.size === 0) {
      target.watch.close();
      this.dirs.delete(at.dir);
    }
  }

  /** Resumes the directories muted since the last pass; answers their links, for the pass to look at. */
  resume(): string[] {
    const paths: string[] = [];
    for (const t of this.dirs.values()) {
      if (!t.watch.resume()) continue;
      for (const links of t.links.values()) for (const path of links) paths.push(path);
    }
    return paths;
  }

  close(): void {
    for (const t of this.dirs.values()) t.watch.close();
    this.dirs.clear();
    this.byPath.clear();
  }

  private watch(dir: string): TargetDir | undefined {
    const links = new Map<string, Set<string>>();
    const watch = new DirWatch(
      dir,
      (event, name) => {
        const paths = links.get(name);
        if (!paths) return;
        let passDue = false;
        for (const path of paths) passDue = this.onEvent(event === 'rename' ? 'add' : 'change', path) || passDue;
        if (passDue && event === 'change') watch.mute();
      },
      (err) => this.logger.warn('file watcher error', { path: dir, error: err }),
    );
    try {
      watch.open();
      return { watch, links };
    } catch (err) {
      // No watch left (ENOSPC) or the directory went: the poll covers it. Said once, not per file.
      if (!this.warned && (err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.warned = true;
        this.logger.warn('cannot watch the directory of a linked file; relying on polling', { path: dir, error: err });
      }
      return undefined;
    }
  }
}
