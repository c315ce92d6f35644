/** What the emulator remembers for inspection: accepted events per provider and request stats. */
import type { Provider } from './config.ts';
import { PROVIDERS } from './config.ts';

export interface AcceptedEvent<T = unknown> {
  /** Position in the provider's stream since the last reset (1-based, never reused). */
  seq: number;
  provider: Provider;
  received_at: number;
  request_id: string;
  /** The entry as the provider stored it (provider's own field names). */
  event: T;
}

/** Append-only log per provider, bounded: beyond `max` per provider the oldest entries are dropped. */
export class EventLog {
  readonly #max: number;
  #logs = new Map<Provider, { items: AcceptedEvent[]; seq: number; dropped: number }>();

  constructor(max: number) {
    this.#max = max;
    this.clear();
  }

  clear(): void {
    for (const p of PROVIDERS) this.#logs.set(p, { items: [], seq: 0, dropped: 0 });
  }

  push(provider: Provider, receivedAt: number, requestId: string, event: unknown): void {
    const log = this.#logs.get(provider)!;
    log.items.push({ seq: ++log.seq, provider, received_at: receivedAt, request_id: requestId, event });
    // Trim in chunks so the cost stays amortised O(1) per event.
    if (log.items.length > this.#max + Math.ceil(this.#max / 10)) {
      const excess = log.items.length - this.#max;
      log.items.splice(0, excess);
      log.dropped += excess;
    }
  }

  /** Accepted events with `seq` greater than `sinceSeq`, oldest first. */
  list(provider: Provider, sinceSeq = 0): AcceptedEvent[] {
    const log = this.#logs.get(provider)!;
    const items = log.items.length > this.#max ? log.items.slice(log.items.length - this.#max) : log.items;
    return sinceSeq > 0 ? items.filter((e) => e.seq > sinceSeq) : [...items];
  }

  dropped(provider: Provider): number {
    const log = this.#logs.get(provider)!;
    return log.dropped + Math.max(0, log.items.length - this.#max);
  }
}

export interface ProviderStats {
  /** Requests received (any outcome). */
  requests: number;
  /** Events accepted. */
  accepted: number;
  /** Rejections by error code: whole requests, and per-entry failures inside a 200. */
  rejected: Record<string, number>;
  /** Requests answered with the provider's throttling error (quota or injected). */
  throttled: number;
  /** Connections reset on purpose. */
  resets: number;
}

export type EmulatorStats = Record<Provider, ProviderStats>;

export function emptyStats(): EmulatorStats {
  const out = {} as EmulatorStats;
  for (const p of PROVIDERS) out[p] = { requests: 0, accepted: 0, rejected: {}, throttled: 0, resets: 0 };
  return out;
}

export function countRejection(stats: ProviderStats, code: string, n = 1): void {
  stats.rejected[code] = (stats.rejected[code] ?? 0) + n;
}
