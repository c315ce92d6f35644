/**
 * The bytes of request bodies the OTLP receivers hold at once (HTTP and gRPC together): a
 * request that would take it past its limit is turned away (429 / RESOURCE_EXHAUSTED with
 * Retry-After) instead of buffered. Stalled uploads can therefore hold at most the budget, and
 * large ones at most seven eighths of it: the last eighth is kept for bodies under 1 MiB, so
 * that ordinary exporters keep flowing while a few large uploads crawl.
 */
export class BodyBudget {
  private readonly limit: number;
  private readonly largeLimit: number;
  private used = 0;

  constructor(limit: number) {
    this.limit = limit;
    this.largeLimit = limit - Math.floor(limit / 8);
  }

  /**
   * Takes `bytes` from the budget for a body of `bodySize` bytes so far (the whole body when
   * declared up front), or answers false and takes nothing.
   */
  tryReserve(bytes: number, bodySize: number = bytes): boolean {
    const cap = bodySize >= SMALL_BODY ? this.largeLimit : this.limit;
    if (this.used + bytes > cap) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    // Waiters in arrival order; one that still does not fit keeps the others behind it.
    for (let w = this.waiters[0]; w && this.tryReserve(w.bytes); w = this.waiters[0]) {
      this.waiters.shift();
      w.resolve();
    }
  }

  /**
   * Resolves once `bytes` are reserved, waiting in line for earlier releases; `cancel()` leaves
   * the line (a waiter cancelled after it was served still holds its bytes: release them).
   */
  reserveWhenFree(bytes: number): { ready: Promise<void>; cancel(): void } {
    if (this.waiters.length === 0 && this.tryReserve(bytes)) return { ready: Promise.resolve(), cancel: () => undefined };
    let waiter!: { bytes: number; resolve: () => void };
    const ready = new Promise<void>((resolve) => {
      waiter = { bytes, resolve };
      this.waiters.push(waiter);
    });
    return {
      ready,
      cancel: () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      },
    };
  }

  private readonly waiters: { bytes: number; resolve: () => void }[] = [];

  get inUse(): number {
    return this.used;
  }
}

/** Bodies below this may use the whole budget; larger ones seven eighths of it. */
const SMALL_BODY = 1024 * 1024;

/** What a client turned away by the budget is told to wait before it retries. */
export const BUSY_RETRY_MS = 1_000;

/** What one request holds of the budget; released once, whatever happens to the request. */
export class Reservation {
  private readonly budget: BodyBudget;
  private held = 0;

  constructor(budget: BodyBudget) {
    this.budget = budget;
  }

  take(bytes: number, bodySize: number = bytes): boolean {
    if (!this.budget.tryReserve(bytes, bodySize)) return false;
    this.held += bytes;
    return true;
  }

  releaseAll(): void {
    this.budget.release(this.held);
    this.held = 0;
  }
}
