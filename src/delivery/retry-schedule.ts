/**
 * Entries waiting for their next attempt, earliest first, behind one timer. A binary heap, so
 * thousands of backing-off entries cost one timer and O(log n) per entry.
 */
export class RetrySchedule<T> {
  private readonly heap: { at: number; item: T }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly onDue: (items: T[]) => void;

  constructor(onDue: (items: T[]) => void) {
    this.onDue = onDue;
  }

  get size(): number {
    return this.heap.length;
  }

  add(at: number, item: T): void {
    const h = this.heap;
    h.push({ at, item });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
    this.arm();
  }

  /** Stops the timer and forgets every waiting entry (they stay in the spool). */
  clear(): T[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    return this.heap.splice(0).map((e) => e.item);
  }

  /** Removes waiting entries matching `pred`; returns them. */
  remove(pred: (item: T) => boolean): T[] {
    const removed = this.heap.filter((e) => pred(e.item)).map((e) => e.item);
    if (removed.length === 0) return removed;
    const keep = this.heap.filter((e) => !pred(e.item));
    this.heap.length = 0;
    for (const e of keep) this.add(e.at, e.item);
    return removed;
  }

  private pop(): { at: number; item: T } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next) return;
    if (this.timer && this.timerAt <= next.at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.at - Date.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    const due: T[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) due.push(this.pop()!.item);
    this.arm();
    if (due.length > 0) this.onDue(due);
  }
}
