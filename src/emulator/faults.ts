/**
 * Fault injection: per provider, triggers decide on each request whether to throttle, fail with
 * a 5xx, add latency or reset the connection; a token bucket enforces a request quota.
 */
import type { Faults, Provider, ProviderFaults, Trigger } from './config.ts';
import { PROVIDERS } from './config.ts';

/** mulberry32: tiny, fast, seedable; good enough to pick faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class TokenBucket {
  readonly rps: number;
  readonly burst: number;
  #tokens: number;
  #last: number;

  constructor(rps: number, burst = Math.max(1, rps), now = Date.now()) {
    this.rps = rps;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes one token; returns 0 when granted, else the milliseconds until one is available. */
  take(now = Date.now()): number {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rps);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.rps) * 1000);
  }
}

/** What the injector decided for one request. */
export interface FaultDecision {
  latencyMs: number;
  reset: boolean;
  /** Set when the request must get the provider's throttling answer. */
  throttle?: { retryAfterMs?: number | undefined; reason: 'quota' | 'injected' };
  serverError?: 500 | 503;
}

export const NO_FAULT: FaultDecision = { latencyMs: 0, reset: false };

interface ProviderState {
  faults: ProviderFaults;
  requests: number;
  entries: number;
  bucket?: TokenBucket;
}

export class FaultInjector {
  readonly #random: () => number;
  #state: Record<Provider, ProviderState> = { aws: unfaulted(), alibaba: unfaulted(), ces: unfaulted(), aom: unfaulted() };

  constructor(faults: Faults, seed: number) {
    this.#random = seededRandom(seed);
    this.set(faults);
  }

  /** Replaces the whole fault set (providers not named get none); counters and buckets restart. */
  set(faults: Faults): void {
    for (const p of PROVIDERS) {
      const f = faults[p];
      const state: ProviderState = { faults: f ?? {}, requests: 0, entries: 0 };
      if (f?.quota) state.bucket = new TokenBucket(f.quota.rps, f.quota.burst);
      this.#state[p] = state;
    }
  }

  current(): Faults {
    const out: Record<string, ProviderFaults> = {};
    for (const p of PROVIDERS) {
      const { faults } = this.#state[p];
      if (Object.keys(faults).length > 0) out[p] = faults;
    }
    return out as Faults;
  }

  #fires(t: Trigger, n: number): boolean {
    if (t.first === undefined && t.every === undefined && t.probability === undefined) return true;
    if (t.first !== undefined && n <= t.first) return true;
    if (t.every !== undefined && n % t.every === 0) return true;
    return t.probability !== undefined && this.#random() < t.probability;
  }

  decide(provider: Provider, now = Date.now()): FaultDecision {
    const s = this.#state[provider];
    const f = s.faults;
    if (f.throttle === undefined && f.server_error === undefined && f.latency === undefined && f.reset === undefined && !s.bucket) {
      return NO_FAULT;
    }
    const n = ++s.requests;
    const decision: FaultDecision = { latencyMs: 0, reset: false };
    if (f.reset && this.#fires(f.reset, n)) decision.reset = true;
    if (f.latency && this.#fires(f.latency, n)) {
      const { min, max = min } = f.latency;
      decision.latencyMs = min + Math.floor(this.#random() * (max - min + 1));
    }
    const wait = s.bucket?.take(now) ?? 0;
    if (wait > 0) decision.throttle = { retryAfterMs: wait, reason: 'quota' };
    else if (f.throttle && this.#fires(f.throttle, n)) decision.throttle = { retryAfterMs: f.throttle.retry_after, reason: 'injected' };
    else if (f.server_error && this.#fires(f.server_error, n)) decision.serverError = f.server_error.status;
    return decision;
  }

  /** For PutEvents: the error code to fail this entry with, if an entry failure fires. */
  entryFailure(provider: Provider): string | undefined {
    const s = this.#state[provider];
    const ef = s.faults.entry_failure;
    if (!ef) return undefined;
    const n = ++s.entries;
    if (!this.#fires(ef, n)) return undefined;
    return ef.codes[Math.floor(this.#random() * ef.codes.length)];
  }
}

function unfaulted(): ProviderState {
  return { faults: {}, requests: 0, entries: 0 };
}
