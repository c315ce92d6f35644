/** A temporary credential and when it expires. */
export interface Expiring<T> {
  readonly value: T;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface CredentialCacheOptions {
  /** A credential is replaced this long before it expires. */
  refreshAheadMs: number;
  /** A credential is not used any more this close to its expiry (clock skew, request in flight). */
  expirySlackMs?: number;
  /** After a failed refresh, a credential still valid is used this long before trying again. */
  retryGapMs?: number;
  /** Clock (tests). */
  now?: () => number;
  /** Told of every failed refresh (a credential still valid may hide it from callers). */
  onRefreshFailed?: (error: unknown) => void;
}

/**
 * Temporary cloud credentials (STS, IAM, instance metadata), shared by every provider family:
 * fetched on first use, cached, and refreshed ahead of expiry. Refreshes are single flight:
 * callers that arrive during one wait for its result. When a refresh fails, the credential in
 * hand stays in use while it is valid; with none left, `get` rejects with the refresh's error.
 */
export class CredentialCache<T> {
  private current: Expiring<T> | undefined;
  private inflight: Promise<Expiring<T>> | undefined;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private readonly fetch: () => Promise<Expiring<T>>;
  private readonly refreshAheadMs: number;
  private readonly slackMs: number;
  private readonly retryGapMs: number;
  private readonly now: () => number;
  private readonly onRefreshFailed: ((error: unknown) => void) | undefined;

  constructor(fetch: () => Promise<Expiring<T>>, opts: CredentialCacheOptions) {
    this.fetch = fetch;
    this.refreshAheadMs = opts.refreshAheadMs;
    this.slackMs = opts.expirySlackMs ?? 0;
    this.retryGapMs = opts.retryGapMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.onRefreshFailed = opts.onRefreshFailed;
  }

  async get(): Promise<T> {
    const now = this.now();
    const cur = this.usable(now);
    if (cur && (now < cur.expiresAt - this.refreshAheadMs || now - this.lastFailureAt < this.retryGapMs)) return cur.value;
    try {
      return (await this.refresh()).value;
    } catch (err) {
      const still = this.usable(this.now());
      if (still) return still.value;
      throw err;
    }
  }

  private usable(now: number): Expiring<T> | undefined {
    return this.current && now < this.current.expiresAt - this.slackMs ? this.current : undefined;
  }

  private refresh(): Promise<Expiring<T>> {
    this.inflight ??= this.fetch()
      .then((fresh) => {
        if (fresh.expiresAt - this.slackMs <= this.now())
          throw new Error(`the credential handed out expires at ${new Date(fresh.expiresAt).toISOString()}, already past`);
        this.current = fresh;
        return fresh;
      })
      .catch((err: unknown) => {
        this.lastFailureAt = this.now();
        this.onRefreshFailed?.(err);
        throw err;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
