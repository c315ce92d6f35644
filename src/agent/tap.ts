import type { DeliveryObserver, RequestReport } from '../delivery/delivery-report.ts';
import type { Event } from '../model/event.ts';

/** One line of `log2events tap`. */
export type TapItem =
  | { type: 'event'; time: string; source: string; rule: string; id: string; name: string; to: readonly string[]; content: string }
  | {
      type: 'delivery';
      time: string;
      sink: string;
      rule: string;
      id: string;
      outcome: 'delivered' | 'retry' | 'dead_letter';
      code?: string;
      message?: string;
    }
  | { type: 'dropped'; time: string; count: number };

export interface TapFilter {
  rules?: ReadonlySet<string>;
  sinks?: ReadonlySet<string>;
}

/** Items a subscriber may have waiting; beyond that new ones are dropped (and counted). */
export const TAP_QUEUE_LIMIT = 1000;

/**
 * A subscriber's bounded queue: the agent pushes and never waits; the reader takes when its
 * connection can write. A slow reader loses items (it is told how many), the agent never slows.
 */
export class TapSubscription {
  readonly filter: TapFilter;
  private queue: TapItem[] = [];
  private dropped = 0;
  private wake: (() => void) | undefined;
  closed = false;

  constructor(filter: TapFilter) {
    this.filter = filter;
  }

  push(item: TapItem): void {
    if (this.queue.length >= TAP_QUEUE_LIMIT) {
      this.dropped++;
      return;
    }
    this.queue.push(item);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** What is waiting (a "dropped" line first when items were lost); empty after `close`. */
  take(): TapItem[] {
    const out =
      this.dropped > 0 ? [{ type: 'dropped' as const, time: new Date().toISOString(), count: this.dropped }, ...this.queue] : this.queue;
    this.dropped = 0;
    this.queue = [];
    return out;
  }

  /** Resolves when items are waiting or the subscription closed. */
  ready(): Promise<void> {
    if (this.queue.length > 0 || this.dropped > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => (this.wake = resolve));
  }

  close(): void {
    this.closed = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

/** Events the rules produce and what became of them, for whoever taps (the admin endpoint). */
export class Tap implements DeliveryObserver {
  private readonly subs = new Set<TapSubscription>();

  /** Cheap check for the hot path: nothing is built when nobody listens. */
  get active(): boolean {
    return this.subs.size > 0;
  }

  subscribe(filter: TapFilter): TapSubscription {
    const s = new TapSubscription(filter);
    this.subs.add(s);
    return s;
  }

  unsubscribe(s: TapSubscription): void {
    this.subs.delete(s);
    s.close();
  }

  closeAll(): void {
    for (const s of this.subs) s.close();
    this.subs.clear();
  }

  events(source: string, events: readonly Event[]): void {
    if (this.subs.size === 0 || events.length === 0) return;
    const time = new Date().toISOString();
    for (const e of events) {
      const item: TapItem = { type: 'event', time, source, rule: e.rule, id: e.id, name: e.name, to: e.to, content: e.content };
      for (const s of this.subs) {
        if (s.filter.rules && !s.filter.rules.has(e.rule)) continue;
        const sinks = s.filter.sinks;
        if (sinks && !e.to.some((t) => sinks.has(t))) continue;
        s.push(item);
      }
    }
  }

  onRequest(r: RequestReport): void {
    if (this.subs.size === 0) return;
    const time = new Date(r.at).toISOString();
    for (const e of r.entries) {
      const item: TapItem =
        e.outcome === 'delivered'
          ? { type: 'delivery', time, sink: r.sink, rule: e.event.rule, id: e.event.id, outcome: 'delivered' }
          : {
              type: 'delivery',
              time,
              sink: r.sink,
              rule: e.event.rule,
              id: e.event.id,
              outcome: e.outcome,
              code: e.code,
              message: e.message,
            };
      for (const s of this.subs) {
        if (s.filter.rules && !s.filter.rules.has(e.event.rule)) continue;
        if (s.filter.sinks && !s.filter.sinks.has(r.sink)) continue;
        s.push(item);
      }
    }
  }
}
