import type { FileHandle } from 'node:fs/promises';
import { decodeCheckpoint } from './checkpoint.ts';
import type { CursorPosition, FileCursor } from './cursor.ts';
import type { DescriptorPool } from './descriptors.ts';
import type { Fingerprint } from './fingerprint.ts';
import type { ReadTail } from './tail.ts';

/** One file, known by the fingerprint it had when first seen (its id). */
export interface TrackedFile {
  id: string;
  fp: Fingerprint;
  path: string;
  dev: number;
  ino: number;
  /** The last committed position (where a restart, or a reopen after an error, resumes). */
  position: CursorPosition;
  /** Present while the file is open (attached to a live inode). */
  open?: OpenFile;
  /** When the file stopped being attached (truncated away, released, or not found yet after a restart). */
  detachedAt: number;
  /** The second fingerprint of the committed position (see tail.ts). */
  tail?: Fingerprint;
  /** Its inode was found truncated or rewritten: its position no longer applies there. */
  replaced?: boolean;
}

export interface OpenFile {
  /** Undefined while closed to bound descriptors (see DescriptorPool): reopened at `at` when needed. */
  fh: FileHandle | undefined;
  /** The path the inode was last found at. */
  at: string;
  /** The path whose link target's directory is watched for it (see TargetWatches), if any. */
  targetWatchedAt?: string;
  /** Has (or may have) data to read: new, grown or still being read; idle files are not read. */
  due: boolean;
  cursor: FileCursor;
  size: number;
  mtimeMs: number;
  /** Last time bytes were read (the flush timeout counts from here). */
  dataAt: number;
  /** Since when the file is not found at any included path (renamed away or deleted). */
  goneSince?: number;
  /** Bytes of the next read (see nextReadSize). */
  readSize: number;
  /** A backlog being read since the file was opened: logged once it is read to the end. */
  backlog?: { since: number; bytes: number };
  /** The last bytes read, to tell appends from rewrites (see tail.ts). */
  readTail: ReadTail;
  /**
   * The fingerprinted leading bytes, once a check found them in the file: the checks of a file
   * that grew compare bytes instead of hashing them. Dropped with the descriptor, so that at
   * most `max_open_files` are held.
   */
  head?: Buffer | undefined;
}

/** The descriptor of an open file was closed for room: it keeps its position, not its kept head. */
export function descriptorClosed(o: OpenFile): void {
  o.fh = undefined;
  o.head = undefined;
}

/**
 * The open file's descriptor, reopened by path (and checked to be the same inode) if it was
 * closed for room; undefined when it cannot be had now (`onError`: a failure other than the path
 * being gone).
 */
export async function handleOf(
  f: TrackedFile,
  o: OpenFile,
  descriptors: DescriptorPool<TrackedFile>,
  onError: (path: string, err: unknown) => void,
): Promise<FileHandle | undefined> {
  if (o.fh) {
    descriptors.touch(f);
    return o.fh;
  }
  let fh: FileHandle;
  try {
    fh = await descriptors.openFile(o.at);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(o.at, err);
    return undefined;
  }
  const st = await fh.stat().catch(() => undefined);
  // Moved or replaced since: the next poll finds where the inode is now, if anywhere.
  if (!st || st.dev !== f.dev || st.ino !== f.ino || f.open !== o) {
    await descriptors.close(fh);
    return undefined;
  }
  o.fh = fh;
  descriptors.follow(f, fh, () => descriptorClosed(o));
  return fh;
}

/** A file known from its checkpoint at start (not attached yet); undefined if the checkpoint is unreadable. */
export function restoredFile(id: string, checkpoint: string, now: number): TrackedFile | undefined {
  const cp = decodeCheckpoint(checkpoint);
  if (!cp) return undefined;
  return {
    id,
    fp: cp.fp,
    path: cp.path,
    dev: cp.dev,
    ino: cp.ino,
    position: { offset: cp.offset, skip: cp.skip },
    detachedAt: now,
    ...(cp.tail ? { tail: cp.tail } : {}),
  };
}
