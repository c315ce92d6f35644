import { constants, mkdirSync, open as openFd } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Event } from '../../model/event.ts';
import { allOutcomes, deliveredAll, type SendResult, type Sink } from '../sink.ts';
import { eventJson } from '../../model/event-json.ts';
import { eventJsonLineBytes } from '../event-json.ts';

const openFdAsync = promisify(openFd);

/** Where the batches go: a regular file (or device), or a FIFO. */
interface Target {
  write(data: Buffer, signal: AbortSignal | undefined): Promise<void>;
  /** fsync where it means something (a regular file). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** A regular file or a device, through a file handle. */
class FileTarget implements Target {
  private readonly fh: FileHandle;
  private readonly regular: boolean;

  constructor(fh: FileHandle, regular: boolean) {
    this.fh = fh;
    this.regular = regular;
  }

  write(data: Buffer): Promise<void> {
    return this.fh.appendFile(data);
  }

  async sync(): Promise<void> {
    if (this.regular) await this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * A FIFO, written through the event loop (libuv's pipe stream), never by a thread-pool write: a
 * blocking open or write on a pipe nobody reads would hold a thread that not even process.exit
 * gets back. Opened non-blocking, so a FIFO without a reader fails at once (ENXIO, retried); a
 * reader that stops reading only delays the write, which the engine's abort then cancels.
 */
class FifoTarget implements Target {
  private readonly socket: Socket;
  private failure: Error | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', (err) => (this.failure = err));
  }

  static async open(path: string): Promise<FifoTarget> {
    const fd = await openFdAsync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    return new FifoTarget(new Socket({ fd, readable: false, writable: true }));
  }

  write(data: Buffer, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const onAbort = (): void => {
        this.socket.destroy();
        reject(Object.assign(new Error('write aborted (the FIFO reader is not reading)'), { code: 'ETIMEDOUT' }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.write(data, (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  async sync(): Promise<void> {}

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.end(() => resolve());
      // A reader that stopped reading must not hold the close.
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}

/**
 * Appends events as JSON lines. Each batch is one write followed by fsync, so "delivered"
 * means on disk. Writes are serialised: lines of two batches never interleave.
 */
export class FileSink implements Sink {
  readonly name: string;
  readonly type = 'file';
  /**
   * Writes are serialised, so bigger batches only hold more events in memory: 2,000 entries per
   * batch kept ~4 MiB more at the peak of a backlog (bench/tail.ts) for no gain in throughput.
   */
  readonly limits = { maxEntries: 500, maxBytes: 8 * 1024 * 1024 };
  private readonly path: string;
  private readonly fsync: boolean;
  private handle: Promise<Target> | undefined;
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

  send(batch: readonly Event[], signal?: AbortSignal): Promise<SendResult> {
    const run = this.tail.then(() => this.write(batch, signal));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(batch: readonly Event[], signal: AbortSignal | undefined): Promise<SendResult> {
    let target: Target | undefined;
    try {
      target = await (this.handle ??= this.openFile());
      await target.write(this.jsonLines(batch), signal);
      if (this.fsync) await target.sync();
      return deliveredAll(batch.length);
    } catch (err) {
      this.handle = undefined;
      void target?.close().catch(() => undefined);
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
   * A regular file is opened read-write, to look at its last byte; a FIFO goes through the event
   * loop (FifoTarget); anything else (a device such as /dev/null) is opened write-only.
   */
  private async openFile(): Promise<Target> {
    mkdirSync(dirname(this.path), { recursive: true });
    const existing = await stat(this.path).catch(() => undefined);
    if (existing?.isFIFO()) return FifoTarget.open(this.path);
    const fh = await open(this.path, existing && !existing.isFile() ? 'a' : 'a+');
    try {
      const st = await fh.stat();
      // A crash mid-write leaves a torn last line; end it so the next event starts a line of its own.
      if (st.isFile() && st.size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, st.size - 1);
        if (last[0] !== 0x0a) await fh.appendFile('\n');
      }
      return new FileTarget(fh, st.isFile());
    } catch (err) {
      await fh.close();
      throw err;
    }
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
    if (h) await (await h.catch(() => undefined))?.close();
  }
}
