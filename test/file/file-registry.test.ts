import { describe, expect, it } from 'vitest';
import { FileRegistry, inodeKey, type RegisteredFile } from '../../src/sources/file/file-registry.ts';
import { fingerprintOf } from '../../src/sources/file/fingerprint.ts';

/** The file source's registry: the known files by id, fingerprint and inode (no file system). */

const FP_BYTES = 16;
const HEAD = Buffer.from('2026-12-01 a line long enough\n');

function file(id: string, ino: number, extra: Partial<RegisteredFile> = {}, head = HEAD): RegisteredFile {
  return { id, path: `/logs/${id}.log`, fp: fingerprintOf(head, FP_BYTES), dev: 1, ino, position: { offset: 0 }, detachedAt: 0, ...extra };
}
const stat = (ino: number, size = 100) => ({ dev: 1, ino, size, mtimeMs: 0 });

describe('FileRegistry', () => {
  it('answers the facts of a new inode: candidates by fingerprint, the file attached there, known places', () => {
    const r = new FileRegistry<RegisteredFile>();
    const restored = file('old', 3);
    r.restore(restored);
    const other = file('other', 4, {}, Buffer.from('another start of a file\n'));
    r.add(other);
    r.attach(other);

    const atKnownPath = r.newInodeFacts('/logs/old.log', stat(9), HEAD, true, 5);
    expect(atKnownPath.candidates).toEqual([restored]);
    expect(atKnownPath.knownPlace).toBe(true);
    expect(atKnownPath.followed).toBeUndefined();
    expect(r.newInodeFacts('/logs/new.log', stat(3), HEAD, true, 5).knownPlace).toBe(true); // the checkpoint's inode
    expect(r.newInodeFacts('/logs/new.log', stat(9), HEAD, true, 5).knownPlace).toBe(false);
    expect(r.newInodeFacts('/logs/x.log', stat(4), HEAD, false, 5).followed).toBe(other);
  });

  it('strengthens a short fingerprint once the file holds more, and finds it by the longer one', () => {
    const r = new FileRegistry<RegisteredFile>();
    const f = file('short', 3, {}, HEAD.subarray(0, 4));
    r.add(f);
    r.strengthen(f, HEAD, FP_BYTES);
    expect(f.fp).toEqual(fingerprintOf(HEAD, FP_BYTES));
    expect(r.newInodeFacts('/p', stat(9), HEAD, false, 0).candidates).toEqual([f]);
  });

  it('leaves a copy alone while its original is attached, and looks at it again once the original is let go', () => {
    const r = new FileRegistry<RegisteredFile>();
    const original = file('orig', 3, { open: {} });
    r.add(original);
    r.markCopy(1, 8, original);
    expect(r.ignores(1, 8)).toBe(true);
    original.open = undefined;
    expect(r.ignores(1, 8)).toBe(false);
    original.open = {};
    expect(r.ignores(1, 8)).toBe(false); // forgotten as a copy once looked at again
  });

  it('leaves compressed inodes alone until a poll no longer finds them', () => {
    const r = new FileRegistry<RegisteredFile>();
    r.markCompressed(1, 8);
    r.prune(new Set([inodeKey(1, 8)]));
    expect(r.ignores(1, 8)).toBe(true);
    r.prune(new Set());
    expect(r.ignores(1, 8)).toBe(false);
  });

  it('attaches and detaches by inode; a removed file is no candidate', () => {
    const r = new FileRegistry<RegisteredFile>();
    const f = file('a', 3);
    r.add(f);
    r.attach(f);
    expect(r.attachedAt(1, 3)).toBe(f);
    expect(r.attachedCount).toBe(1);
    r.detach(f);
    expect(r.attached()).toEqual([]);
    expect(r.has('a')).toBe(true);
    r.remove(f);
    expect(r.has('a')).toBe(false);
    expect(r.newInodeFacts('/p', stat(9), HEAD, false, 0).candidates).toEqual([]);
  });
});
