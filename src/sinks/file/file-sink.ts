import { mkdirSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Event } from '../../model/event.ts';
import { allOutcomes, deliveredAll, type SendResult, type Sink } from '../sink.ts';
import { eventJson } from '../../model/event-json.ts';
import { eventJsonLineBytes } from '../event-json.ts';

interface OpenTarget {
  fh: FileHandle;
  /** A regular file: fsync applies and a torn last line can be repaired. */
  regular: boolean;
}

/**
 * Appends events as JSON lines. Each batch is one write followed by fsync, so "delivered"
 * means on disk. Writes are serialised: lines of two batches never interleave.
 */
export class FileSink implements Sink {
  readonly name: string;
  readonly type = 'file';
  /** Writes are serialised: bigger batches would only hold more events in memory. */
  readonly limits = { maxEntries: 2000, maxBytes: 8 * 1024 * 1024 };
  private readonly path: string;
  private readonly fsync: boolean;
  private handle: Promise<OpenTarget> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /**
   * Where batches are encoded, reused (writes are serialised): a fresh megabyte-sized buffer per
   * batch left freed-but-unreturned native memory behind, ~8 MiB of RSS in a backlog.
   */
  private scratch = Buffer.alloc(0);

  constructor(name: string, path: string, fsync: boolean) {
    this.name = name;
    this.path = path;
    this.fsync = fsync;
  }

  entrySize(event: Event): number {
    return eventJsonLineBytes(event);
  }

  send(batch: readonly Event[]): Promise<SendResult> {
    const run = this.tail.then(() => this.write(batch));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(batch: readonly Event[]): Promise<SendResult> {
    try {
      const { fh, regular } = await (this.handle ??= this.openFile());
      await fh.appendFile(this.jsonLines(batch));
      if (this.fsync && regular) await fh.datasync();
      return deliveredAll(batch.length);
    } catch (err) {
      this.handle = undefined;
      const e = err as NodeJS.ErrnoException;
      // A full or read-only disk may recover; a path that is a directory will not.
      const permanent = e.code === 'EISDIR' || e.code === 'ENOTDIR';
      const outcome = permanent
        ? ({ kind: 'permanent', code: e.code ?? 'EIO', message: `${this.path}: ${e.message}` } as const)
        : ({ kind: 'retryable', code: e.code ?? 'EIO', message: `${this.path}: ${e.message}` } as const);
      return { outcomes: allOutcomes(batch.length, outcome), throttled: false };
    }
  }

  /**
   * A regular file is opened read-write, to look at its last byte. Anything else (a FIFO, a
   * character device such as /dev/stdout) is opened write-only: a FIFO then waits for its reader
   * instead of buffering into a pipe nobody reads, and there is nothing to repair or fsync.
   */
  private async openFile(): Promise<OpenTarget> {
    mkdirSync(dirname(this.path), { recursive: true });
    const existing = await stat(this.path).catch(() => undefined);
    const fh = await open(this.path, existing && !existing.isFile() ? 'a' : 'a+');
    const st = await fh.stat();
    // A crash mid-write leaves a torn last line; end it so the next event starts a line of its own.
    if (st.isFile() && st.size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, st.size - 1);
      if (last[0] !== 0x0a) await fh.appendFile('\n');
    }
    return { fh, regular: st.isFile() };
  }

  /** The batch as JSON lines, encoded straight into the scratch buffer (no joined string in between). */
  private jsonLines(batch: readonly Event[]): Buffer {
    let bytes = 0;
    for (const e of batch) bytes += eventJsonLineBytes(e);
    if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * this.scratch.length, 64 * 1024));
    const buf = this.scratch;
    let at = 0;
    for (const e of batch) {
      at += buf.write(eventJson(e), at);
      buf[at++] = 0x0a;
    }
    return buf.subarray(0, at);
  }

  async close(): Promise<void> {
    await this.tail;
    const h = this.handle;
    this.handle = undefined;
    if (h) await (await h).fh.close();
  }
}
