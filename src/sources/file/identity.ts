import type { Fingerprint } from './fingerprint.ts';

/**
 * Which file is where: the identity and rotation decisions of the file source, as pure
 * functions of what was observed (a stat, the leading bytes, the known files and their
 * checkpoints). The examiner gathers the facts and carries the decisions out. Where a decision
 * needs a fact that costs a read (the bytes before a checkpoint's offset, a comparison with an
 * open file), it asks for it (`check …`) and is asked again with the answer.
 */

/** A known file as the decisions see it (the tailer's tracked file). */
export interface KnownFile {
  /** The fingerprint it had when first seen: its identity. */
  fp: Fingerprint;
  dev: number;
  ino: number;
  /** The last committed position. */
  position: { offset: number };
  /** Present while the file is attached to a live inode. */
  open?: object | undefined;
  /** When it stopped being attached. */
  detachedAt: number;
  /** The second fingerprint of the committed position (see tail.ts). */
  tail?: Fingerprint | undefined;
  /** Its inode was found truncated or rewritten: its position no longer applies there. */
  replaced?: boolean | undefined;
}

export interface IdentitySettings {
  /** `fingerprint_bytes`: a fingerprint this long is strong (trusted across inodes). */
  fingerprintBytes: number;
  /** `rotate_wait`: how long a file that went away may reappear under a weak fingerprint, and is drained. */
  rotateWait: number;
  /** `format: auto`: a file's first line decides its format, so it is awaited. */
  detectsFormat: boolean;
  /** How long a partial line may wait for its end (the flush timeout). */
  flushTimeoutMs: number;
  /** `start_at: end`: files present at start are read from their end. */
  startAtEnd: boolean;
}

/** What the comparison of a file with the open file it starts like found (see Examiner.copyOf). */
export type CopyVerdict = 'copy' | 'original truncated' | 'different';

/** What is known of a file found at an inode that is not followed yet. */
export interface NewInodeFacts<F extends KnownFile> {
  stat: { dev: number; ino: number; size: number; mtimeMs: number };
  /** Its leading bytes, up to `fingerprint_bytes`. */
  head: Buffer;
  /** The file followed at this inode, if another examination got there first. */
  followed: F | undefined;
  /** Known files whose fingerprinted bytes `head` starts with, oldest first. */
  candidates: readonly F[];
  /** Found by the first poll (start_at applies). */
  initial: boolean;
  /** A checkpoint at start named this path or inode: a new file there succeeds one that was read. */
  knownPlace: boolean;
  now: number;
  /** Answer to `check tail`: the bytes before the candidate's offset are those its checkpoint describes. */
  tailMatches?: boolean | undefined;
  /** Answer to `check copy`. */
  copy?: CopyVerdict | undefined;
}

export type NewInodeDecision<F extends KnownFile> =
  /** Another examination attached this inode meanwhile. */
  | { kind: 'followed'; file: F }
  /** Nothing to identify it by yet. */
  | { kind: 'empty' }
  /** The first line is still being written: the format is judged by it, so wait. */
  | { kind: 'first line incomplete' }
  /** A rotated log compressed in place (app.log.2.gz): not read. */
  | { kind: 'compressed' }
  /** Read the bytes before `file`'s committed offset and ask again (`tailMatches`). */
  | { kind: 'check tail'; file: F }
  /** Compare with the open `file` it starts like and ask again (`copy`). */
  | { kind: 'check copy'; file: F }
  /** A copy of `of`, which is still being read (copytruncate copies, then truncates). */
  | { kind: 'copy'; of: F }
  /**
   * A known file, resumed at its position: rotated or renamed, found again after a restart,
   * or (`originalTruncated`) the copy that holds the rest of a file truncated since.
   */
  | { kind: 'known'; file: F; originalTruncated: boolean }
  /**
   * A new file, read from its end (`atEnd`) or from 0. `rewritten`: the known file whose inode
   * this is was rewritten in place since its position was written (its position never applies
   * there again).
   */
  | { kind: 'new'; atEnd: boolean; rewritten: F | undefined };

/** Gzip, bzip2, xz, zstd. */
const COMPRESSED_MAGIC = [
  Buffer.from([0x1f, 0x8b]),
  Buffer.from('BZh'),
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
];

export function isCompressed(head: Buffer): boolean {
  return COMPRESSED_MAGIC.some((magic) => head.length >= magic.length && head.subarray(0, magic.length).equals(magic));
}

/** Identifies a file found at an inode that is not followed: a known file, a copy of one, or a new file. */
export function identifyNewInode<F extends KnownFile>(facts: NewInodeFacts<F>, settings: IdentitySettings): NewInodeDecision<F> {
  const { stat, head } = facts;
  if (facts.followed) return { kind: 'followed', file: facts.followed };
  if (head.length === 0) return { kind: 'empty' };
  if (settings.detectsFormat && stat.size <= head.length && !head.includes(0x0a) && facts.now - stat.mtimeMs < settings.flushTimeoutMs)
    return { kind: 'first line incomplete' };
  if (isCompressed(head)) return { kind: 'compressed' };
  let match = bestCandidate(facts, settings);
  let rewritten: F | undefined;
  if (match && !match.open && match.tail) {
    // A file shorter than the position cannot hold the bytes before it.
    const tailMatches = stat.size >= match.position.offset ? facts.tailMatches : false;
    if (tailMatches === undefined) return { kind: 'check tail', file: match };
    if (!tailMatches) {
      // The leading bytes match but not those before the position: rewritten (while not
      // followed, e.g. while the agent was stopped), or another file behind the same banner.
      if (sameInode(match, stat)) rewritten = match;
      match = undefined;
    }
  }
  if (match?.open) {
    if (facts.copy === undefined) return { kind: 'check copy', file: match };
    if (facts.copy === 'copy') return { kind: 'copy', of: match };
    // The copy is where the unread rest of a truncated file lives on now.
    if (facts.copy === 'original truncated') return { kind: 'known', file: match, originalTruncated: true };
    match = undefined; // another file that merely starts with the same bytes
  }
  if (match) return { kind: 'known', file: match, originalTruncated: false };
  return { kind: 'new', atEnd: facts.initial && settings.startAtEnd && !facts.knownPlace, rewritten };
}

/**
 * The known file a new inode most likely is: the one at the same inode (unless the inode now
 * holds less than was read, or was found rewritten), else one with a strong fingerprint, or a
 * weak one that went away within `rotate_wait`; a closed file before an open one.
 */
function bestCandidate<F extends KnownFile>(facts: NewInodeFacts<F>, settings: IdentitySettings): F | undefined {
  let match: F | undefined;
  for (const f of facts.candidates) {
    const same = sameInode(f, facts.stat);
    if (same && (facts.stat.size < f.position.offset || f.replaced)) continue;
    const strong = f.fp.len >= settings.fingerprintBytes;
    if (!same && !strong && !(f.open === undefined && facts.now - f.detachedAt <= settings.rotateWait)) continue;
    if (same) return f;
    if (!match || (match.open && !f.open)) match = f;
  }
  return match;
}

function sameInode(f: KnownFile, stat: { dev: number; ino: number }): boolean {
  return f.dev === stat.dev && f.ino === stat.ino;
}

/**
 * The id of a new file: its fingerprint's hash, with the inode mixed in when the fingerprint is
 * weak (two short files with equal content keep distinct ids), and a counter when a file seen
 * before had the same leading bytes (a rewrite, a repeated header).
 */
export function newFileId(
  fp: Fingerprint,
  stat: { dev: number; ino: number },
  fingerprintBytes: number,
  taken: (id: string) => boolean,
): string {
  let id = fp.len >= fingerprintBytes ? fp.hash : `${fp.hash}-${stat.dev}-${stat.ino}`;
  for (let n = 2; taken(id); n++) id = `${fp.hash}-${stat.dev}-${stat.ino}-${n}`;
  return id;
}

/** What a poll found of a followed file at its inode, and what was read of it. */
export interface FollowedFacts {
  size: number;
  mtimeMs: number;
  /** Where reading got to. */
  readPos: number;
  /** Size and mtime when last looked at. */
  lastSize: number;
  lastMtimeMs: number;
  /**
   * Answer to `check content`: whether the leading bytes still match the fingerprint and, when
   * they do, whether the bytes last read are still there (see tail.ts).
   */
  content?: { headMatches: boolean; tailMatches: boolean } | undefined;
}

export type FollowedDecision =
  /** Nothing changed since it was last looked at. */
  | 'unchanged'
  /** Read the leading bytes and those last read, and ask again (`content`). */
  | 'check content'
  /** Appended to (or touched): read on. */
  | 'grown'
  /** Shorter than what was read: copytruncate, or truncated by hand. */
  | 'truncated'
  /** The same inode holds other content. */
  | 'rewritten';

/** Whether a followed file's inode still holds the file that was being read. */
export function judgeFollowed(facts: FollowedFacts): FollowedDecision {
  if (facts.size < facts.readPos) return 'truncated';
  if (facts.size === facts.lastSize && facts.mtimeMs === facts.lastMtimeMs) return 'unchanged';
  if (!facts.content) return 'check content';
  // Same leading bytes; but a rewrite behind a banner changes what was read last.
  if (!facts.content.headMatches || !facts.content.tailMatches) return 'rewritten';
  return 'grown';
}

/** How long to keep the position of a file that is no longer anywhere, in case it reappears. */
export const MIN_FORGET_MS = 60_000;

export type PresenceDecision =
  /** Found by the poll. */
  | { kind: 'present' }
  /**
   * Not at any included path (renamed away or deleted): drained for `rotate_wait`, then let go
   * (`release`). `newly`: this poll is the first to miss it.
   */
  | { kind: 'gone'; newly: boolean; release: boolean }
  /** Not attached; its position is kept in case it reappears. */
  | { kind: 'kept' }
  /** Not attached for long: its position is forgotten. */
  | { kind: 'forget' };

/** What becomes of a known file after a poll, from whether the poll found it. */
export function judgePresence(
  f: { open: boolean; goneSince: number | undefined; detachedAt: number },
  seen: boolean,
  now: number,
  rotateWait: number,
): PresenceDecision {
  if (f.open) {
    if (seen) return { kind: 'present' };
    const since = f.goneSince ?? now;
    return { kind: 'gone', newly: f.goneSince === undefined, release: now - since >= rotateWait };
  }
  return now - f.detachedAt >= Math.max(MIN_FORGET_MS, rotateWait * 2) ? { kind: 'forget' } : { kind: 'kept' };
}
