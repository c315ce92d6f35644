import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/sources/file/fingerprint.ts';
import {
  identifyNewInode,
  judgeFollowed,
  judgePresence,
  MIN_FORGET_MS,
  newFileId,
  type FollowedFacts,
  type IdentitySettings,
  type KnownFile,
  type NewInodeFacts,
} from '../../src/sources/file/identity.ts';

/** The file source's decisions on which file is where, from observed facts (no file system). */

const FP_BYTES = 16;
const SETTINGS: IdentitySettings = {
  fingerprintBytes: FP_BYTES,
  rotateWait: 5_000,
  detectsFormat: false,
  flushTimeoutMs: 1_000,
  startAtEnd: false,
};
const NOW = 1_000_000;
/** Leading bytes of a file that fills the fingerprint (strong). */
const HEAD = Buffer.from('2026-12-01 first line\nsecond line\n');
/** A file shorter than the fingerprint (weak). */
const SHORT = Buffer.from('tiny\n');

interface Known extends KnownFile {
  name: string;
}

/** A known file with the fingerprint of `head`, at inode 1:`ino`, read to `offset`. */
function known(name: string, ino: number, offset: number, extra: Partial<Known> = {}, head = HEAD): Known {
  return { name, fp: fingerprintOf(head, FP_BYTES), dev: 1, ino, position: { offset }, detachedAt: NOW - 60_000, ...extra };
}
const OPEN = { open: {} };
const TAIL = { tail: { len: 8, hash: 'abcdef0123456789' } };

function facts(over: Partial<NewInodeFacts<Known>> = {}): NewInodeFacts<Known> {
  return {
    stat: { dev: 1, ino: 7, size: 1_000, mtimeMs: NOW - 10_000 },
    head: HEAD,
    followed: undefined,
    candidates: [],
    initial: false,
    knownPlace: false,
    now: NOW,
    ...over,
  };
}

/** The decision with the file it names, by name, for short table rows. */
function decide(f: NewInodeFacts<Known>, settings: Partial<IdentitySettings> = {}): string {
  const d = identifyNewInode(f, { ...SETTINGS, ...settings });
  switch (d.kind) {
    case 'followed':
      return `followed ${d.file.name}`;
    case 'check tail':
    case 'check copy':
      return `${d.kind} ${d.file.name}`;
    case 'copy':
      return `copy of ${d.of.name}`;
    case 'known':
      return `known ${d.file.name}${d.originalTruncated ? ' (original truncated)' : ''}`;
    case 'new':
      return `new from ${d.atEnd ? 'end' : 0}${d.rewritten ? `, ${d.rewritten.name} rewritten` : ''}`;
    default:
      return d.kind;
  }
}

describe('a file at an inode not followed yet', () => {
  const rotatedAway = known('app.log', 3, 500); // closed, strong fingerprint, another inode
  const sameInodeA = known('a', 7, 500);
  const openOther = known('open', 9, 500, OPEN);
  it.each([
    { why: 'nothing known: a new file, read from 0', f: facts(), d: 'new from 0' },
    {
      why: 'found at start with start_at: end: read from its end',
      f: facts({ initial: true }),
      s: { startAtEnd: true },
      d: 'new from end',
    },
    {
      why: 'start_at: end, but where a checkpoint was: a successor, read from 0',
      f: facts({ initial: true, knownPlace: true }),
      s: { startAtEnd: true },
      d: 'new from 0',
    },
    { why: 'start_at: end applies only to the first poll', f: facts({ initial: false }), s: { startAtEnd: true }, d: 'new from 0' },
    { why: 'another examination attached the inode meanwhile', f: facts({ followed: sameInodeA }), d: 'followed a' },
    { why: 'empty: nothing to identify it by', f: facts({ head: Buffer.alloc(0) }), d: 'empty' },
    {
      why: 'format auto, first line still being written',
      f: facts({ head: Buffer.from('no newline yet'), stat: { dev: 1, ino: 7, size: 14, mtimeMs: NOW - 10 } }),
      s: { detectsFormat: true },
      d: 'first line incomplete',
    },
    {
      why: 'format auto, a first line without newline that stopped changing: read',
      f: facts({ head: Buffer.from('no newline yet'), stat: { dev: 1, ino: 7, size: 14, mtimeMs: NOW - 5_000 } }),
      s: { detectsFormat: true },
      d: 'new from 0',
    },
    { why: 'gzip-compressed rotated log', f: facts({ head: Buffer.from([0x1f, 0x8b, 8, 0, 0]) }), d: 'compressed' },
    { why: 'zstd-compressed rotated log', f: facts({ head: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1]) }), d: 'compressed' },
    {
      why: 'same leading bytes, another inode: the known file renamed (rotated)',
      f: facts({ candidates: [rotatedAway] }),
      d: 'known app.log',
    },
    { why: 'same inode, grown: the known file again (after a restart)', f: facts({ candidates: [sameInodeA] }), d: 'known a' },
    {
      why: 'same inode holding less than was read: truncated while not followed, a new file',
      f: facts({ candidates: [sameInodeA], stat: { dev: 1, ino: 7, size: 100, mtimeMs: 0 } }),
      d: 'new from 0',
    },
    {
      why: 'same inode found rewritten before: a new file',
      f: facts({ candidates: [known('a', 7, 500, { replaced: true })] }),
      d: 'new from 0',
    },
    {
      why: 'the same inode wins over an earlier candidate at another inode',
      f: facts({ candidates: [rotatedAway, sameInodeA] }),
      d: 'known a',
    },
    {
      why: 'a closed candidate wins over an open one',
      f: facts({ candidates: [openOther, rotatedAway] }),
      d: 'known app.log',
    },
    {
      why: 'weak fingerprint, another inode, its file went away within rotate_wait: renamed',
      f: facts({ head: SHORT, candidates: [known('short', 3, 5, { detachedAt: NOW - 1_000 }, SHORT)] }),
      d: 'known short',
    },
    {
      why: 'weak fingerprint, another inode, gone longer than rotate_wait: equal content is not identity',
      f: facts({ head: SHORT, candidates: [known('short', 3, 5, { detachedAt: NOW - 10_000 }, SHORT)] }),
      d: 'new from 0',
    },
    {
      why: 'weak fingerprint of a file still open elsewhere: another file with the same few bytes',
      f: facts({ head: SHORT, candidates: [known('short', 3, 5, OPEN, SHORT)] }),
      d: 'new from 0',
    },
    {
      why: 'checkpoint with a tail fingerprint: the bytes before its offset are read first',
      f: facts({ candidates: [known('a', 7, 500, TAIL)] }),
      d: 'check tail a',
    },
    {
      why: 'tail matches: the known file, resumed',
      f: facts({ candidates: [known('a', 7, 500, TAIL)], tailMatches: true }),
      d: 'known a',
    },
    {
      why: 'same inode, tail differs: rewritten in place while not followed',
      f: facts({ candidates: [known('a', 7, 500, TAIL)], tailMatches: false }),
      d: 'new from 0, a rewritten',
    },
    {
      why: 'another inode, tail differs: another file behind the same banner',
      f: facts({ candidates: [known('b', 3, 500, TAIL)], tailMatches: false }),
      d: 'new from 0',
    },
    {
      why: 'another inode shorter than the checkpoint offset: cannot hold its tail, no read needed',
      f: facts({ candidates: [known('b', 3, 5_000, TAIL)] }),
      d: 'new from 0',
    },
    { why: 'starts like an open file: compared with it first', f: facts({ candidates: [openOther] }), d: 'check copy open' },
    {
      why: 'a copy of an open file (copytruncate, before the truncate)',
      f: facts({ candidates: [openOther], copy: 'copy' }),
      d: 'copy of open',
    },
    {
      why: 'the open file was truncated since: the copy holds its rest',
      f: facts({ candidates: [openOther], copy: 'original truncated' }),
      d: 'known open (original truncated)',
    },
    {
      why: 'merely starts like an open file: a new file',
      f: facts({ candidates: [openOther], copy: 'different' }),
      d: 'new from 0',
    },
  ] as { why: string; f: NewInodeFacts<Known>; s?: Partial<IdentitySettings>; d: string }[])('$why', ({ f, s, d }) => {
    expect(decide(f, s)).toBe(d);
  });
});

describe('the id of a new file', () => {
  const strong = fingerprintOf(HEAD, FP_BYTES);
  const weak = fingerprintOf(SHORT, FP_BYTES);
  const stat = { dev: 1, ino: 7 };
  it.each([
    { why: 'strong fingerprint: its hash', fp: strong, taken: [], id: strong.hash },
    { why: 'weak fingerprint: the inode mixed in', fp: weak, taken: [], id: `${weak.hash}-1-7` },
    {
      why: 'fingerprint collision with a known file: the inode and a counter',
      fp: strong,
      taken: [strong.hash],
      id: `${strong.hash}-1-7-2`,
    },
    {
      why: 'collides twice: the next counter',
      fp: strong,
      taken: [strong.hash, `${strong.hash}-1-7-2`],
      id: `${strong.hash}-1-7-3`,
    },
  ])('$why', ({ fp, taken, id }) => {
    expect(newFileId(fp, stat, FP_BYTES, (x) => taken.includes(x))).toBe(id);
  });
});

describe('a followed file found by a poll', () => {
  const base: FollowedFacts = { size: 1_000, mtimeMs: 50, readPos: 1_000, lastSize: 1_000, lastMtimeMs: 50 };
  it.each([
    { why: 'same size and mtime: unchanged, nothing read', f: base, d: 'unchanged' },
    { why: 'shorter than what was read: truncated', f: { ...base, size: 10, mtimeMs: 60 }, d: 'truncated' },
    { why: 'grown: its content is checked first', f: { ...base, size: 2_000, mtimeMs: 60 }, d: 'check content' },
    { why: 'touched only: checked too', f: { ...base, mtimeMs: 60 }, d: 'check content' },
    {
      why: 'grown, leading bytes and last bytes read unchanged: appended to',
      f: { ...base, size: 2_000, content: { headMatches: true, tailMatches: true } },
      d: 'grown',
    },
    {
      why: 'leading bytes changed: rewritten',
      f: { ...base, size: 2_000, content: { headMatches: false, tailMatches: false } },
      d: 'rewritten',
    },
    {
      why: 'same leading bytes (a banner), last bytes read changed: rewritten',
      f: { ...base, size: 2_000, content: { headMatches: true, tailMatches: false } },
      d: 'rewritten',
    },
  ] as { why: string; f: FollowedFacts; d: string }[])('$why', ({ f, d }) => {
    expect(judgeFollowed(f)).toBe(d);
  });
});

describe('a known file after a poll', () => {
  const WAIT = 5_000;
  it.each([
    { why: 'open and found: present', f: { open: true, goneSince: undefined, detachedAt: 0 }, seen: true, d: { kind: 'present' } },
    {
      why: 'open, missed for the first time: gone (drained from now on)',
      f: { open: true, goneSince: undefined, detachedAt: 0 },
      seen: false,
      d: { kind: 'gone', newly: true, release: false },
    },
    {
      why: 'missed within rotate_wait: still drained',
      f: { open: true, goneSince: NOW - 1_000, detachedAt: 0 },
      seen: false,
      d: { kind: 'gone', newly: false, release: false },
    },
    {
      why: 'missed for rotate_wait: released',
      f: { open: true, goneSince: NOW - WAIT, detachedAt: 0 },
      seen: false,
      d: { kind: 'gone', newly: false, release: true },
    },
    {
      why: 'found again before rotate_wait: present',
      f: { open: true, goneSince: NOW - 1_000, detachedAt: 0 },
      seen: true,
      d: { kind: 'present' },
    },
    {
      why: 'detached lately: position kept',
      f: { open: false, goneSince: undefined, detachedAt: NOW - 1_000 },
      seen: false,
      d: { kind: 'kept' },
    },
    {
      why: 'detached for long: forgotten',
      f: { open: false, goneSince: undefined, detachedAt: NOW - MIN_FORGET_MS },
      seen: false,
      d: { kind: 'forget' },
    },
  ])('$why', ({ f, seen, d }) => {
    expect(judgePresence(f, seen, NOW, WAIT)).toEqual(d);
  });

  it('keeps a detached file for twice rotate_wait when that is longer than a minute', () => {
    const f = { open: false, goneSince: undefined, detachedAt: NOW - 100_000 };
    expect(judgePresence(f, false, NOW, 60_000)).toEqual({ kind: 'kept' });
    expect(judgePresence(f, false, NOW, 50_000)).toEqual({ kind: 'forget' });
  });
});
