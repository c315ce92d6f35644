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
    const node = { at, item };
    // Sift up: parents later than the new node move down into the hole.
    let i = h.length;
    h.push(node);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p];
      if (parent === undefined || parent.at <= at) break;
      h[i] = parent;
      i = p;
    }
    h[i] = node;
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
    if (last === undefined || h.length === 0) return top;
    // Sift the last node down from the root: earlier children move up into the hole.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      let next = last;
      let at = -1;
      const left = h[l];
      if (left !== undefined && left.at < next.at) {
        next = left;
        at = l;
      }
      const right = h[l + 1];
      if (right !== undefined && right.at < next.at) {
        next = right;
        at = l + 1;
      }
      if (at < 0) break;
      h[i] = next;
      i = at;
    }
    h[i] = last;
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
    for (let next = this.heap[0]; next !== undefined && next.at <= now; next = this.heap[0]) {
      this.pop();
      due.push(next.item);
    }
    this.arm();
    if (due.length > 0) this.onDue(due);
  }
}
