import { open, type FileHandle } from 'node:fs/promises';

/** Fewest descriptors the pool goes down to when the process limit is reached. */
const MIN_LIMIT = 16;

/**
 * Bounds the descriptors a file source holds (`max_open_files`). Files are opened through it;
 * when the bound is reached, the least recently active followed file is closed (its owner keeps
 * its position and reopens it by path when it has data again). EMFILE or ENFILE (the process or
 * system limit is lower than the bound) lowers the bound and closes files to make room, so a
 * file is never skipped for want of a descriptor.
 */
export class DescriptorPool<K> {
  private limit: number;
  private count = 0;
  /** Followed files' handles, least recently active first. */
  private readonly lru = new Map<K, { fh: FileHandle; onEvict: () => void }>();
  private readonly onLowered: (limit: number) => void;

  constructor(limit: number, onLowered: (limit: number) => void) {
    this.limit = limit;
    this.onLowered = onLowered;
  }

  /** Descriptors held (followed files and files being examined). */
  get open(): number {
    return this.count;
  }

  /** The bound now (lower than configured after EMFILE). */
  get bound(): number {
    return this.limit;
  }

  /** Opens `path` for reading, closing the least recently active files first if the bound is reached. */
  async openFile(path: string): Promise<FileHandle> {
    this.reserve();
    try {
      return await open(path, 'r');
    } catch (err) {
      this.count--;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EMFILE' && code !== 'ENFILE') throw err;
    }
    // The process ran out first: hold fewer from now on, and make room for this one.
    const lowered = Math.max(MIN_LIMIT, Math.min(this.limit, this.count) - MIN_LIMIT);
    if (lowered < this.limit) {
      this.limit = lowered;
      this.onLowered(lowered);
    }
    this.reserve();
    try {
      return await open(path, 'r');
    } catch (err) {
      this.count--;
      throw err;
    }
  }

  /**
   * Takes a slot at once (before the open completes, so that concurrent opens count each
   * other), closing least recently active files while the bound is reached.
   */
  private reserve(): void {
    for (const [key, entry] of this.lru) {
      if (this.count < this.limit) break;
      this.lru.delete(key);
      entry.onEvict();
      this.count--;
      void entry.fh.close().catch(() => undefined);
    }
    this.count++;
  }

  /** A handle from openFile now belongs to a followed file: it may be closed for room (onEvict is told). */
  follow(key: K, fh: FileHandle, onEvict: () => void): void {
    this.lru.set(key, { fh, onEvict });
  }

  /** The file was active: it goes last in line to be closed. */
  touch(key: K): void {
    const entry = this.lru.get(key);
    if (!entry) return;
    this.lru.delete(key);
    this.lru.set(key, entry);
  }

  /** Closes a handle from openFile (followed or not). */
  async close(fh: FileHandle, key?: K): Promise<void> {
    if (key !== undefined && this.lru.get(key)?.fh === fh) this.lru.delete(key);
    this.count--;
    await fh.close().catch(() => undefined);
  }
}
