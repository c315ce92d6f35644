import { parseRetryAfter } from '../retry-after.ts';
import type { ReplyHeaders } from '../http-call.ts';
import { clip } from '../clip.ts';
import { allOutcomes, type EntryOutcome, type SendResult } from '../sink.ts';

interface EntryResult {
  status: 'ok' | 'retry' | 'error';
  code?: unknown;
  message?: unknown;
}

function isEntryResult(v: unknown): v is EntryResult {
  return typeof v === 'object' && v !== null && ['ok', 'retry', 'error'].includes((v as { status?: unknown }).status as string);
}

function text(v: unknown, fallback: string): string {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : fallback;
}

/**
 * The one place that turns an HTTP answer from a webhook into per-entry outcomes:
 * 2xx with `{"results":[...]}` (index-aligned) → each entry's own outcome; 2xx otherwise → all
 * delivered; 429/503 → retryable and throttled, honouring Retry-After; 408 and other 5xx →
 * retryable; other statuses → permanent, with the body as message.
 */
export function classifyResponse(status: number, headers: ReplyHeaders, body: string, count: number, now = Date.now()): SendResult {
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
  if (status >= 200 && status < 300) return classifySuccess(body, count, retryAfterMs);
  const message = clip(body) || `HTTP ${status}`;
  const code = `http_${status}`;
  if (status === 429 || status === 503) {
    return { outcomes: allOutcomes(count, withRetryAfter({ kind: 'retryable', code, message }, retryAfterMs)), throttled: true };
  }
  if (status === 408 || status >= 500) {
    return { outcomes: allOutcomes(count, withRetryAfter({ kind: 'retryable', code, message }, retryAfterMs)), throttled: false };
  }
  return { outcomes: allOutcomes(count, { kind: 'permanent', code, message }), throttled: false };
}

function classifySuccess(body: string, count: number, retryAfterMs: number | undefined): SendResult {
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? undefined : JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const results = (parsed as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) return { outcomes: allOutcomes(count, { kind: 'delivered' }), throttled: false };
  const outcomes: EntryOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const r: unknown = results[i];
    if (!isEntryResult(r)) {
      outcomes.push({
        kind: 'retryable',
        code: 'missing_result',
        message: `response has no valid result for entry ${i} (${results.length} results for ${count} entries)`,
      });
    } else if (r.status === 'ok') {
      outcomes.push({ kind: 'delivered' });
    } else if (r.status === 'retry') {
      outcomes.push(
        withRetryAfter(
          { kind: 'retryable', code: text(r.code, 'retry'), message: text(r.message, 'the receiver asked to retry') },
          retryAfterMs,
        ),
      );
    } else {
      outcomes.push({ kind: 'permanent', code: text(r.code, 'error'), message: text(r.message, 'the receiver rejected the event') });
    }
  }
  return { outcomes, throttled: false };
}

function withRetryAfter(o: EntryOutcome & { kind: 'retryable' }, retryAfterMs: number | undefined): EntryOutcome {
  return retryAfterMs === undefined ? o : { ...o, retryAfterMs };
}

/** A request that got no answer: connection refused or reset, DNS, timeout, abort. */
export function classifyFailure(err: unknown, count: number, signal: AbortSignal): SendResult {
  // node:http puts the system error's code on the error itself; fetch (undici) on its cause.
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (signal.aborted || e.name === 'AbortError' || e.name === 'TimeoutError') {
    return {
      outcomes: allOutcomes(count, { kind: 'retryable', code: 'timeout', message: 'request aborted or timed out' }),
      throttled: false,
    };
  }
  const code = e.code ?? e.cause?.code ?? 'network';
  const message = e.cause?.message ?? e.message ?? String(err);
  return { outcomes: allOutcomes(count, { kind: 'retryable', code, message }), throttled: false };
}
