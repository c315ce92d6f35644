import { FingerprintIndex } from './fingerprint-index.ts';
import { fingerprintOf } from './fingerprint.ts';
import type { KnownFile, NewInodeFacts } from './identity.ts';

/** A file the registry holds: known by its id (the fingerprint it had when first seen). */
export interface RegisteredFile extends KnownFile {
  id: string;
  path: string;
}

/** Where an inode is in the registry's maps. */
export const inodeKey = (dev: number, ino: number): string => `${dev}:${ino}`;

/**
 * The files a file source knows and where they are: by id, by fingerprint (the candidates for
 * a new inode), by the inode they are attached to, and the inodes a poll found but does not
 * read (copies of open files, compressed rotations). It answers the facts the identity
 * decisions (identity.ts) are taken on; the examiner and the tailer carry the decisions out.
 */
export class FileRegistry<F extends RegisteredFile> {
  private readonly byId = new Map<string, F>();
  private readonly byFp = new FingerprintIndex<F>();
  private readonly byInode = new Map<string, F>();
  /** Inodes holding a copy of a file that is still attached elsewhere (copytruncate, before the truncate): the file's id. */
  private readonly aliases = new Map<string, string>();
  /** Inodes not read because their content is compressed. */
  private readonly compressed = new Set<string>();
  /** Paths and inodes named by checkpoints at start: a new file there is a successor, read from 0. */
  private readonly knownPlaces = new Set<string>();

  /** A file known from a checkpoint at start: its path and inode are known places. */
  restore(f: F): void {
    this.add(f);
    this.knownPlaces.add(f.path).add(inodeKey(f.dev, f.ino));
  }

  add(f: F): void {
    this.byId.set(f.id, f);
    this.byFp.add(f);
  }

  /** Forgets a file (its position is no longer kept). */
  remove(f: F): void {
    this.byId.delete(f.id);
    this.byFp.remove(f);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Every known file, attached or not (a copy: the caller may add and remove meanwhile). */
  all(): F[] {
    return [...this.byId.values()];
  }

  /** The file attached to an inode, if any. */
  attachedAt(dev: number, ino: number): F | undefined {
    return this.byInode.get(inodeKey(dev, ino));
  }

  /** The files attached to an inode (a copy: the caller may detach meanwhile). */
  attached(): F[] {
    return [...this.byInode.values()];
  }

  get attachedCount(): number {
    return this.byInode.size;
  }

  /** `f` is read at its inode (`f.dev`, `f.ino`) from now on. */
  attach(f: F): void {
    this.byInode.set(inodeKey(f.dev, f.ino), f);
  }

  detach(f: F): void {
    this.byInode.delete(inodeKey(f.dev, f.ino));
  }

  /** A file still shorter than the fingerprint when first seen gets a stronger one as it grows. */
  strengthen(f: F, head: Buffer, fingerprintBytes: number): void {
    if (f.fp.len < fingerprintBytes && head.length > f.fp.len) this.byFp.update(f, fingerprintOf(head, fingerprintBytes));
  }

  /** What is known of a file found at an inode not followed, for identifyNewInode. */
  newInodeFacts(
    path: string,
    stat: { dev: number; ino: number; size: number; mtimeMs: number },
    head: Buffer,
    initial: boolean,
    now: number,
  ): NewInodeFacts<F> {
    const key = inodeKey(stat.dev, stat.ino);
    return {
      stat,
      head,
      followed: this.byInode.get(key),
      candidates: this.byFp.candidates(head),
      initial,
      knownPlace: this.knownPlaces.has(path) || this.knownPlaces.has(key),
      now,
    };
  }

  /** The inode holds a copy of `of`, which is still being read elsewhere: nothing to read there. */
  markCopy(dev: number, ino: number, of: F): void {
    this.aliases.set(inodeKey(dev, ino), of.id);
  }

  markCompressed(dev: number, ino: number): void {
    this.compressed.add(inodeKey(dev, ino));
  }

  /**
   * Whether a poll should leave an inode alone: compressed, or a copy of a file still being
   * read (once that file is let go, the copy is looked at like any other file).
   */
  ignores(dev: number, ino: number): boolean {
    const key = inodeKey(dev, ino);
    if (this.compressed.has(key)) return true;
    const of = this.aliases.get(key);
    if (of === undefined) return false;
    if (this.byId.get(of)?.open) return true;
    this.aliases.delete(key);
    return false;
  }

  /** After a poll: forgets what it learnt of inodes that are no longer at any path (`seen`: inodeKey of those that are). */
  prune(seen: ReadonlySet<string>): void {
    for (const key of this.aliases.keys()) if (!seen.has(key)) this.aliases.delete(key);
    for (const key of this.compressed) if (!seen.has(key)) this.compressed.delete(key);
  }
}
