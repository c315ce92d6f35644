import type { FileHandle } from 'node:fs/promises';

/**
 * Bytes per read (two buffers of this size are held). 512 KiB rather than 1 MiB: ~1 MiB less
 * resident memory for ~0.02 CPU s more per GiB read (bench/tail.ts).
 */
export const CHUNK_BYTES = 512 << 10;
/**
 * Smallest read: where lines match densely, reads shrink so that a chunk yields about the events
 * of one commit (a commit is cut only between chunks).
 */
export const MIN_CHUNK_BYTES = 16 << 10;
/** Room in front of each read for the partial line held from the chunk before (longer ones are copied). */
const HEAD_ROOM = 64 * 1024;

/**
 * Reads a file chunk after chunk into two buffers: while one chunk is decoded and committed, the
 * next is already being read into the other buffer. One reader serves every file of a source
 * (files are read one at a time), so a source holds two buffers whatever it follows.
 */
export class ChunkReader {
  /** The buffer of the chunk last taken (allocated on first use: a source that never reads holds none). */
  private current = Buffer.alloc(0);
  /** The buffer the read in flight goes into. */
  private spare = Buffer.alloc(0);
  private fh: FileHandle | undefined;
  /** File offset just past the chunk last taken. */
  private pos = 0;
  /** Bytes the read in flight asked for. */
  private asked = 0;
  private inFlight: Promise<number> | undefined;
  /** Whether the chunk last taken was as long as asked (a short one is the file's end). */
  private full = false;
  private bytes = Buffer.alloc(0);

  /** Starts reading `fh` at `pos`, `size` bytes. */
  begin(fh: FileHandle, pos: number, size: number): void {
    this.fh = fh;
    this.pos = pos;
    this.full = false;
    this.bytes = Buffer.alloc(0);
    this.inFlight = this.read(fh, pos, size);
  }

  /** Whether a read is in flight (take() answers it). */
  get reading(): boolean {
    return this.inFlight !== undefined;
  }

  /** Whether the last read came back short: the file ended there (when it was read). */
  get atEnd(): boolean {
    return !this.full;
  }

  /** File offset just past the chunk last taken. */
  get end(): number {
    return this.pos;
  }

  /**
   * The next chunk's bytes (valid until the chunk after it is taken), or undefined at the
   * file's end or when no read is in flight. Rejects when the read failed.
   */
  async take(): Promise<Buffer | undefined> {
    const read = this.inFlight;
    if (!read) return undefined;
    this.inFlight = undefined;
    const n = await read;
    if (n === 0) return undefined;
    const taken = this.spare;
    this.spare = this.current;
    this.current = taken;
    this.pos += n;
    this.full = n === this.asked;
    this.bytes = taken.subarray(HEAD_ROOM, HEAD_ROOM + n);
    return this.bytes;
  }

  /**
   * Starts reading the `size` bytes after the chunk last taken into the other buffer; not when
   * that chunk was short (the file ended there). Answers whether it did.
   */
  readAhead(size: number): boolean {
    if (!this.fh || !this.full || this.inFlight) return false;
    this.inFlight = this.read(this.fh, this.pos, size);
    return true;
  }

  /**
   * The chunk last taken with `held` (the partial line kept from the chunk before) in front: in
   * place, in the head room, when it fits; else a copy.
   */
  withHeld(held: Buffer): Buffer {
    if (held.length > HEAD_ROOM) return Buffer.concat([held, this.bytes]);
    held.copy(this.current, HEAD_ROOM - held.length);
    return this.current.subarray(HEAD_ROOM - held.length, HEAD_ROOM + this.bytes.length);
  }

  /** Ends the run: a read still in flight lands (failed or not) before its buffer is used again. */
  async finish(): Promise<void> {
    const read = this.inFlight;
    this.inFlight = undefined;
    this.fh = undefined;
    if (read) await read.catch(() => 0);
  }

  private read(fh: FileHandle, pos: number, size: number): Promise<number> {
    if (this.spare.length < HEAD_ROOM + CHUNK_BYTES) this.spare = Buffer.allocUnsafeSlow(HEAD_ROOM + CHUNK_BYTES);
    this.asked = size;
    return fh.read(this.spare, HEAD_ROOM, size, pos).then((r) => r.bytesRead);
  }
}

/**
 * The size of the next read, from what the last one yielded: about `eventsPerRead` events'
 * worth where matches are dense, growing back (doubling) to CHUNK_BYTES where they are sparse.
 */
export function nextReadSize(current: number, bytes: number, events: number, eventsPerRead: number): number {
  const fit = events === 0 ? Infinity : (bytes * eventsPerRead) / events;
  let target = MIN_CHUNK_BYTES;
  while (target * 2 <= fit && target * 2 <= CHUNK_BYTES) target *= 2;
  return target > current ? current * 2 : target;
}
