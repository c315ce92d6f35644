import { hashPrefix, type Fingerprint } from './fingerprint.ts';

/**
 * Tracked files by fingerprint, so that a new file's candidates (files whose fingerprinted
 * bytes its head starts with) are found by a hash lookup per fingerprint length instead of a
 * hash per known file: with thousands of files, examining each new one used to cost a scan of
 * all. Lengths are few: the full `fingerprint_bytes`, and those of files still shorter.
 */
export class FingerprintIndex<T extends { fp: Fingerprint }> {
  private readonly byLen = new Map<number, Map<string, Set<T>>>();

  add(item: T): void {
    let byHash = this.byLen.get(item.fp.len);
    if (!byHash) this.byLen.set(item.fp.len, (byHash = new Map()));
    let set = byHash.get(item.fp.hash);
    if (!set) byHash.set(item.fp.hash, (set = new Set()));
    set.add(item);
  }

  remove(item: T): void {
    const byHash = this.byLen.get(item.fp.len);
    const set = byHash?.get(item.fp.hash);
    if (!byHash || !set) return;
    set.delete(item);
    if (set.size === 0) byHash.delete(item.fp.hash);
    if (byHash.size === 0) this.byLen.delete(item.fp.len);
  }

  /** Changes an item's fingerprint, keeping the index right. */
  update(item: T, fp: Fingerprint): void {
    this.remove(item);
    item.fp = fp;
    this.add(item);
  }

  /** Items whose fingerprint matches the leading bytes `head`, in the order they were added per fingerprint. */
  candidates(head: Buffer): T[] {
    const found: T[] = [];
    for (const [len, byHash] of this.byLen) {
      if (head.length < len) continue;
      const set = byHash.get(hashPrefix(head, len));
      if (set) for (const item of set) found.push(item);
    }
    return found;
  }
}
