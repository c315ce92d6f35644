import type { PodInfo } from './pod.ts';

interface Entry {
  pod: PodInfo;
  /** When the API said the pod was deleted (its files may still be drained). */
  deletedAt?: number;
}

/**
 * The pods known, by uid, bounded: past `maxPods` the pods deleted longest ago go first, then the
 * pods updated longest ago. Deleted pods stay `deletedTtlMs` (their last lines are still read).
 */
export class PodStore {
  private readonly entries = new Map<string, Entry>();
  /** Deleted uids, in deletion order. */
  private readonly deleted = new Map<string, number>();
  private readonly byName = new Map<string, string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly maxPods: number;
  private readonly deletedTtlMs: number;
  private readonly now: () => number;

  constructor(maxPods: number, deletedTtlMs: number, now: () => number = Date.now) {
    this.maxPods = maxPods;
    this.deletedTtlMs = deletedTtlMs;
    this.now = now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(uid: string): PodInfo | undefined {
    return this.entries.get(uid)?.pod;
  }

  getByName(namespace: string, name: string): PodInfo | undefined {
    const uid = this.byName.get(`${namespace}/${name}`);
    return uid === undefined ? undefined : this.get(uid);
  }

  upsert(pod: PodInfo): void {
    const old = this.entries.get(pod.uid);
    if (old) this.entries.delete(pod.uid); // re-inserted last: most recently updated
    this.deleted.delete(pod.uid);
    this.entries.set(pod.uid, { pod });
    this.byName.set(`${pod.namespace}/${pod.name}`, pod.uid);
    this.expire();
    while (this.entries.size > this.maxPods) this.evictOne();
    const waiting = this.waiters.get(pod.uid);
    if (waiting) {
      this.waiters.delete(pod.uid);
      for (const wake of waiting) wake();
    }
  }

  delete(uid: string): void {
    const e = this.entries.get(uid);
    if (!e || e.deletedAt !== undefined) return;
    e.deletedAt = this.now();
    this.deleted.set(uid, e.deletedAt);
    this.expire();
  }

  /** After a (re)list: pods missing from it were deleted while the watch was not looking. */
  retainOnly(uids: ReadonlySet<string>): void {
    for (const uid of [...this.entries.keys()]) if (!uids.has(uid)) this.delete(uid);
  }

  /** Resolves true once the pod is known, false after `ms` (or when `signal` aborts). */
  waitFor(uid: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.entries.has(uid)) return Promise.resolve(true);
    if (ms <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let set = this.waiters.get(uid);
      if (!set) this.waiters.set(uid, (set = new Set()));
      const finish = (known: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const s = this.waiters.get(uid);
        s?.delete(wake);
        if (s?.size === 0) this.waiters.delete(uid);
        resolve(known);
      };
      const wake = () => finish(true);
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(wake);
    });
  }

  private expire(): void {
    const cutoff = this.now() - this.deletedTtlMs;
    for (const [uid, at] of this.deleted) {
      if (at > cutoff) break;
      this.remove(uid);
    }
  }

  private evictOne(): void {
    const uid = this.deleted.keys().next().value ?? this.entries.keys().next().value;
    if (uid !== undefined) this.remove(uid);
  }

  private remove(uid: string): void {
    const e = this.entries.get(uid);
    this.entries.delete(uid);
    this.deleted.delete(uid);
    if (e) {
      const key = `${e.pod.namespace}/${e.pod.name}`;
      if (this.byName.get(key) === uid) this.byName.delete(key);
    }
  }
}
