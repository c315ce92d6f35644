import { classifyFailure } from './http/outcome-classifier.ts';
import type { EntryOutcome, SendResult } from './sink.ts';

/** An HTTP answer, whatever its status: the provider's classifier decides what it means. */
export interface HttpReply {
  status: number;
  headers: Headers;
  body: string;
}

export type HttpCallResult = { ok: true; reply: HttpReply } | { ok: false; failure: SendResult };

/**
 * One request through `fetch` with the engine's AbortSignal (which carries the sink timeout).
 * A request that got no answer (refused, reset, DNS, timeout) becomes retryable outcomes for all
 * `count` entries, classified once for every sink in `http/outcome-classifier.ts`.
 */
export async function httpCall(url: string | URL, init: { method: string; headers: Record<string, string>; body?: string }, count: number, signal: AbortSignal): Promise<HttpCallResult> {
  try {
    const res = await fetch(url, { ...init, signal });
    return { ok: true, reply: { status: res.status, headers: res.headers, body: await res.text() } };
  } catch (err) {
    return { ok: false, failure: classifyFailure(err, count, signal) };
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
