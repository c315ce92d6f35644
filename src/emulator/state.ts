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

/**
 * The events one request added. `events` may be a function that rebuilds them on demand: the
 * PutEvents hot path keeps only the request body and ids, so that tens of thousands of retained
 * events per second do not become garbage-collector work.
 */
interface Batch {
  firstSeq: number;
  count: number;
  receivedAt: number;
  requestId: string;
  events: readonly unknown[] | (() => readonly unknown[]);
}

interface ProviderLog {
  batches: Batch[];
  /** Index of the oldest batch still kept. */
  head: number;
  /** Last sequence number handed out. */
  seq: number;
  /** Events in batches[head..]. */
  stored: number;
}

/** Append-only log per provider, bounded: beyond `max` per provider the oldest events are dropped. */
export class EventLog {
  readonly #max: number;
  #logs: Record<Provider, ProviderLog> = emptyLogs();

  constructor(max: number) {
    this.#max = max;
    this.clear();
  }

  clear(): void {
    this.#logs = emptyLogs();
  }

  /** Records the `count` events one request added. */
  push(provider: Provider, receivedAt: number, requestId: string, count: number, events: Batch['events']): void {
    if (count === 0) return;
    const log = this.#logs[provider];
    log.batches.push({ firstSeq: log.seq + 1, count, receivedAt, requestId, events });
    log.seq += count;
    log.stored += count;
    // Drop whole batches from the front while the rest still holds `max` events.
    for (let front = log.batches[log.head]; front && log.stored - front.count >= this.#max; front = log.batches[++log.head]) {
      log.stored -= front.count;
    }
    if (log.head > 1024 && log.head * 2 > log.batches.length) {
      log.batches = log.batches.slice(log.head);
      log.head = 0;
    }
  }

  /** Accepted events with `seq` greater than `sinceSeq`, oldest first (at most `max`). */
  list(provider: Provider, sinceSeq = 0): AcceptedEvent[] {
    const log = this.#logs[provider];
    const after = Math.max(sinceSeq, log.seq - Math.min(log.stored, this.#max));
    const out: AcceptedEvent[] = [];
    for (const b of log.batches.slice(log.head)) {
      if (b.firstSeq + b.count - 1 <= after) continue;
      const events = typeof b.events === 'function' ? b.events() : b.events;
      for (let j = 0; j < b.count; j++) {
        const seq = b.firstSeq + j;
        if (seq > after) out.push({ seq, provider, received_at: b.receivedAt, request_id: b.requestId, event: events[j] });
      }
    }
    return out;
  }

  /** Events accepted but no longer kept. */
  dropped(provider: Provider): number {
    const log = this.#logs[provider];
    return log.seq - Math.min(log.stored, this.#max);
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

function emptyLogs(): Record<Provider, ProviderLog> {
  const empty = (): ProviderLog => ({ batches: [], head: 0, seq: 0, stored: 0 });
  return { aws: empty(), alibaba: empty(), ces: empty(), aom: empty() };
}
