import { classifyFailure } from './http/outcome-classifier.ts';
import { allOutcomes, type EntryOutcome, type SendResult } from './sink.ts';

/** An HTTP answer, whatever its status: the provider's classifier decides what it means. */
export interface HttpReply {
  status: number;
  headers: Headers;
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

/**
 * One request through `fetch` with the engine's AbortSignal (which carries the sink timeout).
 * Redirects are not followed: a 3xx is a retryable failure naming its `Location`, so neither a
 * signed header nor a configured secret ever reaches another origin. The answer is read up to
 * `MAX_ANSWER_BYTES`. A request that got no answer (refused, reset, DNS, timeout) becomes
 * retryable outcomes for all `count` entries, classified once for every sink in
 * `http/outcome-classifier.ts`.
 */
export async function httpCall(url: string | URL, init: { method: string; headers: Record<string, string>; body?: string }, count: number, signal: AbortSignal): Promise<HttpCallResult> {
  try {
    const res = await fetch(url, { ...init, signal, redirect: 'manual' });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      const location = res.headers.get('location');
      const message = `HTTP ${res.status} redirect${location ? ` to ${clip(location, 300)}` : ''} not followed: check the sink's endpoint`;
      return { ok: false, failure: { outcomes: allOutcomes(count, { kind: 'retryable', code: REDIRECT_NOT_FOLLOWED, message }), throttled: false } };
    }
    const { text, truncated } = await readCapped(res, MAX_ANSWER_BYTES);
    return { ok: true, reply: { status: res.status, headers: res.headers, body: text, ...(truncated ? { truncated } : {}) } };
  } catch (err) {
    return { ok: false, failure: classifyFailure(err, count, signal) };
  }
}

/** Reads at most `max` bytes of a body and cancels the rest (the connection is not reused then). */
export async function readCapped(res: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > max) {
      chunks.push(value.subarray(0, max - total));
      total = max;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return { text: Buffer.concat(chunks, total).toString('utf8'), truncated };
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
  const runs: { key: K; idx: number[] }[] = [];
  batch.forEach((item, i) => {
    const g = group(item);
    if (typeof g !== 'string') {
      outcomes[i] = g;
      return;
    }
    const last = runs.at(-1);
    if (last?.key === g) last.idx.push(i);
    else runs.push({ key: g, idx: [i] });
  });
  let throttled = false;
  let deferred: EntryOutcome | undefined;
  for (const { key, idx } of runs) {
    if (deferred) {
      for (const i of idx) outcomes[i] = deferred;
      continue;
    }
    const result = await sendGroup(key, idx.map((i) => batch[i]!));
    throttled ||= result.throttled;
    idx.forEach((i, j) => {
      const o = result.outcomes[j] ?? { kind: 'retryable', code: 'MissingEntryResult', message: `no outcome for entry ${j}` };
      outcomes[i] = o;
      if (o.kind === 'retryable') deferred ??= o;
    });
  }
  return { outcomes, throttled };
}

/** Keeps a provider's error message readable in logs and dead letters. */
export function clip(text: string, max = 1000): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
