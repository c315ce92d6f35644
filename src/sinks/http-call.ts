import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import { clip } from './clip.ts';
import { classifyFailure } from './http/outcome-classifier.ts';
import { allOutcomes, type EntryOutcome, type SendResult } from './sink.ts';

/** The part of an answer's headers a classifier reads: `Headers` (of `fetch`) has this shape too. */
export interface ReplyHeaders {
  get(name: string): string | null;
}

/** An HTTP answer, whatever its status: the provider's classifier decides what it means. */
export interface HttpReply {
  status: number;
  headers: ReplyHeaders;
  /** The body's first `MAX_ANSWER_BYTES` (a longer answer is cut: see `truncated`). */
  body: string;
  truncated?: boolean;
}

export type HttpCallResult = { ok: true; reply: HttpReply } | { ok: false; failure: SendResult };

/**
 * Most of an answer that is read. Providers answer in a few KB; a hostile or broken server may
 * stream hundreds of MB, which must not become the agent's memory.
 */
export const MAX_ANSWER_BYTES = 256 * 1024;

/** Code of a 3xx answer: never followed (a redirect would turn a POST into a GET, or carry credentials to another origin). */
export const REDIRECT_NOT_FOLLOWED = 'redirect_not_followed';

/** Sockets kept per origin: above any sink's request concurrency (adaptive concurrency tops at 16). */
const MAX_SOCKETS = 32;

/**
 * One keep-alive agent per scheme, made on first use: `node:https` (and TLS) loads only for an
 * https endpoint. `node:http` rather than `fetch`: measured with bench/http-client.ts, the
 * bundled undici behind `fetch` costs more CPU per request and several MiB more resident memory
 * just by loading (bench/README.md).
 */
const agents: { http?: HttpAgent; https?: HttpAgent } = {};

function transport(url: URL): { request: typeof import('node:http').request; agent: HttpAgent } {
  if (url.protocol === 'https:') {
    const https = process.getBuiltinModule('node:https');
    return { request: https.request, agent: (agents.https ??= new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS })) };
  }
  const http = process.getBuiltinModule('node:http');
  return { request: http.request, agent: (agents.http ??= new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS })) };
}

/**
 * One request with the engine's AbortSignal (which carries the sink timeout), over a keep-alive
 * connection. Redirects are not followed: a 3xx is a retryable failure naming its `Location`,
 * so neither a signed header nor a configured secret ever reaches another origin. The answer is
 * read up to `MAX_ANSWER_BYTES`. A request that got no answer (refused, reset, DNS, timeout)
 * becomes retryable outcomes for all `count` entries, classified once for every sink in
 * `http/outcome-classifier.ts`.
 */
export async function httpCall(
  url: string | URL,
  init: { method: string; headers: Record<string, string>; body?: string },
  count: number,
  signal: AbortSignal,
): Promise<HttpCallResult> {
  try {
    const { status, headers, body, truncated } = await request(
      typeof url === 'string' ? new URL(url) : url,
      init,
      signal,
      MAX_ANSWER_BYTES,
    );
    if (status >= 300 && status < 400) {
      const location = headers.get('location');
      const message = `HTTP ${status} redirect${location ? ` to ${clip(location, 300)}` : ''} not followed: check the sink's endpoint`;
      return {
        ok: false,
        failure: { outcomes: allOutcomes(count, { kind: 'retryable', code: REDIRECT_NOT_FOLLOWED, message }), throttled: false },
      };
    }
    return { ok: true, reply: { status, headers, body, ...(truncated ? { truncated } : {}) } };
  } catch (err) {
    return { ok: false, failure: classifyFailure(err, count, signal) };
  }
}

/**
 * A request whose answer is read up to `maxBytes`; the rest is not read (the connection is
 * closed then, not reused). Rejects when no answer comes (network error, abort).
 */
export function request(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string },
  signal: AbortSignal,
  maxBytes: number,
): Promise<HttpReply & { truncated: boolean }> {
  const { request: send, agent } = transport(url);
  const payload = init.body === undefined ? undefined : Buffer.from(init.body);
  const options: RequestOptions = {
    method: init.method,
    headers: payload ? { ...init.headers, 'content-length': String(payload.length) } : init.headers,
    agent,
    signal,
  };
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let truncated = false;
      const done = () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: new NodeReplyHeaders(res.headers),
          body: Buffer.concat(chunks, total).toString('utf8'),
          truncated,
        });
      res.on('data', (chunk: Buffer) => {
        if (truncated) return;
        if (total + chunk.length > maxBytes) {
          chunks.push(chunk.subarray(0, maxBytes - total));
          total = maxBytes;
          truncated = true;
          res.destroy();
          done();
          return;
        }
        chunks.push(chunk);
        total += chunk.length;
      });
      res.on('end', () => truncated || done());
      res.on('error', (err) => truncated || reject(err));
      res.on('aborted', () => truncated || reject(new Error('the answer was cut off')));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Node's header object behind the `Headers`-like `get` the classifiers use. */
class NodeReplyHeaders implements ReplyHeaders {
  readonly #headers: IncomingHttpHeaders;
  constructor(headers: IncomingHttpHeaders) {
    this.#headers = headers;
  }
  get(name: string): string | null {
    const v = this.#headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
}

/**
 * Sends a batch as several requests and merges the outcomes index-aligned with the batch.
 * `group(item)` returns a group key (entries with different keys need separate requests, e.g.
 * AOM reports and clears), or an outcome that settles the entry without sending it (an entry the
 * provider would refuse). Consecutive entries with the same key form one request; requests go
 * one after another in batch order, and once one fails retryably the rest are not sent (they are
 * retried with it), so a clear never overtakes the report it ends.
 */
export async function sendGrouped<T, K extends string>(
  batch: readonly T[],
  group: (item: T) => K | EntryOutcome,
  sendGroup: (key: K, items: T[]) => Promise<SendResult>,
): Promise<SendResult> {
  const outcomes: EntryOutcome[] = new Array(batch.length);
  const runs: { key: K; idx: number[]; items: T[] }[] = [];
  batch.forEach((item, i) => {
    const g = group(item);
    if (typeof g !== 'string') {
      outcomes[i] = g;
      return;
    }
    const last = runs.at(-1);
    if (last?.key === g) {
      last.idx.push(i);
      last.items.push(item);
    } else runs.push({ key: g, idx: [i], items: [item] });
  });
  let throttled = false;
  let deferred: EntryOutcome | undefined;
  for (const { key, idx, items } of runs) {
    if (deferred) {
      for (const i of idx) outcomes[i] = deferred;
      continue;
    }
    const result = await sendGroup(key, items);
    throttled ||= result.throttled;
    idx.forEach((i, j) => {
      const o = result.outcomes[j] ?? { kind: 'retryable', code: 'MissingEntryResult', message: `no outcome for entry ${j}` };
      outcomes[i] = o;
      if (o.kind === 'retryable') deferred ??= o;
    });
  }
  return { outcomes, throttled };
}
