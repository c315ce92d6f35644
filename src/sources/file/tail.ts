import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hashPrefix, type Fingerprint } from './fingerprint.ts';

/**
 * The second fingerprint: the bytes just before where reading stopped. The first fingerprint
 * (the leading KiB) says which file this is; it cannot tell a file rewritten in place behind a
 * banner or header that stayed the same. The bytes just before the read position can: an append
 * leaves them alone, a rewrite changes them (unless it rewrites them identically, in which case
 * resuming there loses nothing that differs).
 *
 * Kept while reading (a copy of the last TAIL_BYTES read, no extra reads on the hot path; 1 KiB,
 * since thousands of files may be followed),
 * compared with the file when its size or mtime changed (one read of at most TAIL_BYTES), and
 * stored with each checkpoint as a hash of up to TAIL_CHECK_BYTES before its offset, so that a
 * rewrite while the agent was stopped is found at the next start too.
 */
export const TAIL_BYTES = 1024;
/** Bytes before a checkpoint's offset whose hash the checkpoint stores. */
export const TAIL_CHECK_BYTES = 256;

export class ReadTail {
  private buf: Buffer | undefined;
  private len = 0;
  /** File offset just past the last byte kept. */
  private end = 0;

  /** `bytes` were read and end at file offset `end` (its last bytes are kept). */
  update(bytes: Buffer, end: number): void {
    const buf = (this.buf ??= Buffer.allocUnsafe(TAIL_BYTES));
    const n = Math.min(bytes.length, TAIL_BYTES);
    if (n === TAIL_BYTES || end - n !== this.end) {
      // Not contiguous with what is kept, or replacing it whole.
      bytes.copy(buf, 0, bytes.length - n);
      this.len = n;
    } else {
      // Shift the kept bytes left and append.
      const keep = Math.min(this.len, TAIL_BYTES - n);
      buf.copy(buf, 0, this.len - keep, this.len);
      bytes.copy(buf, keep, bytes.length - n);
      this.len = keep + n;
    }
    this.end = end;
  }

  /**
   * Whether the file open at `fd` still holds the kept bytes where they were read. A synchronous
   * read (see readHeadSync: it is done on every pass over a file that grew).
   */
  matches(fd: number): boolean {
    if (this.len === 0 || !this.buf) return true;
    const now = Buffer.allocUnsafe(this.len);
    const n = readSync(fd, now, 0, this.len, this.end - this.len);
    return n === this.len && now.equals(this.buf.subarray(0, this.len));
  }

  /** The checkpoint's second fingerprint for a position at `offset`, when the kept bytes reach it. */
  before(offset: number): Fingerprint | undefined {
    const start = this.end - this.len;
    const len = Math.min(TAIL_CHECK_BYTES, offset - start);
    if (!this.buf || offset > this.end || len <= 0 || (len < TAIL_CHECK_BYTES && start > 0)) return undefined;
    const from = offset - len - start;
    return { len, hash: hashPrefix(this.buf.subarray(from, from + len), len) };
  }
}

/** Whether the file holds, just before `offset`, the bytes a checkpoint's tail fingerprint describes. */
export async function tailMatches(fh: FileHandle, offset: number, tail: Fingerprint): Promise<boolean> {
  if (offset < tail.len) return false;
  const buf = Buffer.allocUnsafe(tail.len);
  const { bytesRead } = await fh.read(buf, 0, tail.len, offset - tail.len);
  return bytesRead === tail.len && hashPrefix(buf, tail.len) === tail.hash;
}
