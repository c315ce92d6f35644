import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ApiClient, ApiError } from './api-client.ts';
import { K8S_METRICS } from './metrics.ts';
import { parsePod, type KeySelection } from './pod.ts';
import type { PodStore } from './pod-store.ts';

/** Pods per list page. */
const PAGE_SIZE = 500;
/** A watch the server ends after this long (it is then resumed from where it was). */
const WATCH_SECONDS = 300;
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const versionOf = (v: unknown): string | undefined => {
  const rv = obj(obj(v)?.['metadata'])?.['resourceVersion'];
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
};

export interface WatcherOptions {
  nodeName: string;
  select: KeySelection;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Keeps a PodStore in step with the API: lists this node's pods, then watches from the list's
 * resourceVersion (bookmarks move it on while nothing changes), resumes a dropped or ended watch
 * from the last version seen, lists again when the API answers 410 Gone, and retries with
 * backoff while the API is unreachable — the store keeps serving what it knew meanwhile.
 */
export class PodWatcher {
  private readonly client: ApiClient;
  private readonly store: PodStore;
  private readonly opts: WatcherOptions;
  private readonly halt = new AbortController();
  private loop: Promise<void> | undefined;
  private version: string | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  /** The last list or watch worked: one failure is retried at once. */
  private healthy = false;
  /** Since when the API is unreachable (undefined while it answers). */
  private downSince: number | undefined;
  private readonly selector: string;
  private syncedResolve: (() => void) | undefined;
  /** Resolves once the first list is in the store. */
  readonly synced: Promise<void>;
  /** Counts of what the loop did, for tests and the bench. */
  readonly stats = { lists: 0, watches: 0, events: 0, bookmarks: 0, gone: 0, failures: 0 };

  constructor(client: ApiClient, store: PodStore, opts: WatcherOptions) {
    this.client = client;
    this.store = store;
    this.opts = opts;
    this.selector = `fieldSelector=${encodeURIComponent(`spec.nodeName=${opts.nodeName}`)}`;
    this.synced = new Promise((resolve) => (this.syncedResolve = resolve));
  }

  /** Whether the API answered the last call. */
  get up(): boolean {
    return this.downSince === undefined && this.version !== undefined;
  }

  /** Whether the API is failing now (an outage: nothing new can arrive). */
  get unreachable(): boolean {
    return this.downSince !== undefined;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.halt.abort();
    await this.loop;
    this.client.close();
  }

  private async run(): Promise<void> {
    const signal = this.halt.signal;
    while (!signal.aborted) {
      const result = this.version === undefined ? await this.list(signal) : await this.watch(signal);
      if (signal.aborted) return;
      if (result === undefined) {
        this.healthy = true;
        continue;
      }
      if (result.kind === 'gone') {
        // Too old a version to resume from: list again, at once (the API is there).
        this.stats.gone++;
        this.version = undefined;
        continue;
      }
      if (this.healthy) {
        // One failure after calls that worked (a dropped watch, an API server restarting): try
        // again at once; an outage is declared when that fails too.
        this.healthy = false;
        this.opts.metrics.inc(...K8S_METRICS.watchRestarts);
        continue;
      }
      this.failed(result.message);
      await sleep(this.backoffMs, signal);
      this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    }
  }

  private async list(signal: AbortSignal): Promise<ApiError | undefined> {
    this.stats.lists++;
    const seen = new Set<string>();
    let cont = '';
    let version: string | undefined;
    do {
      const r = await this.client.get(
        `/api/v1/pods?${this.selector}&limit=${PAGE_SIZE}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
        signal,
      );
      if (!r.ok) return r.error;
      const page = obj(r.value);
      const items = page?.['items'];
      if (!Array.isArray(items)) return { kind: 'failed', message: 'a pod list without items' };
      for (const item of items) {
        const pod = parsePod(item, this.opts.select);
        if (!pod) continue;
        seen.add(pod.uid);
        this.store.upsert(pod);
      }
      const meta = obj(page?.['metadata']);
      version = versionOf(page);
      cont = typeof meta?.['continue'] === 'string' ? meta['continue'] : '';
    } while (cont);
    if (version === undefined) return { kind: 'failed', message: 'a pod list without a resourceVersion' };
    this.store.retainOnly(seen);
    this.version = version;
    this.answered();
    this.syncedResolve?.();
    return undefined;
  }

  private async watch(signal: AbortSignal): Promise<ApiError | undefined> {
    this.stats.watches++;
    const startedAt = Date.now();
    let gone = false;
    const path = `/api/v1/pods?${this.selector}&watch=1&allowWatchBookmarks=true&timeoutSeconds=${WATCH_SECONDS}&resourceVersion=${encodeURIComponent(this.version ?? '')}`;
    const r = await this.client.watch(path, signal, (event) => {
      if (gone) return;
      this.answered();
      const e = obj(event);
      const type = e?.['type'];
      const object = e?.['object'];
      if (type === 'ERROR') {
        // The watch's own 410 (the version was compacted away); other errors end the watch too.
        if (obj(object)?.['code'] === 410) gone = true;
        return;
      }
      const version = versionOf(object);
      if (type === 'BOOKMARK') this.stats.bookmarks++;
      else {
        this.stats.events++;
        const pod = parsePod(object, this.opts.select);
        if (pod && type === 'DELETED') this.store.delete(pod.uid);
        else if (pod && (type === 'ADDED' || type === 'MODIFIED')) this.store.upsert(pod);
      }
      if (version !== undefined) this.version = version;
    });
    this.opts.metrics.set(...K8S_METRICS.pods, {}, this.store.size);
    if (gone) return { kind: 'gone' };
    if (!r.ok) return r.error;
    this.answered();
    // A watch the server ended at once (a proxy closing it, say) is not resumed in a tight loop.
    if (Date.now() - startedAt < 1000) await sleep(MIN_BACKOFF_MS, signal);
    return undefined;
  }

  private answered(): void {
    this.backoffMs = MIN_BACKOFF_MS;
    if (this.downSince !== undefined) {
      this.opts.logger.info('kubernetes API reachable again', { after_ms: Date.now() - this.downSince });
      this.downSince = undefined;
    }
    this.opts.metrics.set(...K8S_METRICS.apiUp, {}, 1);
  }

  private failed(message: string): void {
    this.stats.failures++;
    this.opts.metrics.inc(...K8S_METRICS.apiErrors);
    this.opts.metrics.set(...K8S_METRICS.apiUp, {}, 0);
    if (this.downSince === undefined) {
      this.downSince = Date.now();
      this.opts.logger.warn('kubernetes API unreachable: serving the last known pod metadata', { error: message, pods: this.store.size });
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
