import { parseRetryAfter } from '../../delivery/retry-policy.ts';
import { clip, type HttpReply } from '../http-call.ts';
import { allOutcomes, deliveredAll, type EntryOutcome, type SendResult } from '../sink.ts';

const THROTTLING = new Set(['Throttling', 'Throttling.User', 'Throttling.Api', 'Throttling.Concurrent', 'ServiceUnavailable.Throttling']);
/**
 * Worth another try besides throttling and 5xx. A fresh nonce and timestamp are signed on every
 * attempt, so `SignatureNonceUsed` cannot repeat; a clock that is off (`InvalidTimeStamp.Expired`)
 * will be off again, so that one is final.
 */
const RETRYABLE = new Set(['InternalError', 'ServiceUnavailable', 'SignatureNonceUsed', 'RequestTimeout']);

/**
 * A PutCustomEvent answer → one outcome for every entry (the API is all-or-nothing). Success is
 * `Code` "200" (string or number). Throttling (`Throttling.*`, HTTP 400 or 429) is retryable and
 * honours `x-acs-retry-after` (ms) or Retry-After; signature and key errors and other 4xx are final.
 */
export function classifyCmsResponse(reply: HttpReply, count: number, now = Date.now()): SendResult {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(reply.body);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page): status decides below.
  }
  const code = body.Code === undefined ? undefined : String(body.Code);
  if (reply.status >= 200 && reply.status < 300 && (code === undefined || code === '200')) return deliveredAll(count);
  const errorCode = code ?? `http_${reply.status}`;
  const message = `${typeof body.Message === 'string' ? body.Message : clip(reply.body) || `HTTP ${reply.status}`} (HTTP ${reply.status})`;
  const throttled = THROTTLING.has(errorCode) || reply.status === 429;
  const retryable = throttled || RETRYABLE.has(errorCode) || reply.status >= 500 || reply.status === 408;
  const retryAfterMs = parseRetryAfter(reply.headers.get('x-acs-retry-after'), now, 'ms') ?? parseRetryAfter(reply.headers.get('retry-after'), now);
  const outcome: EntryOutcome = retryable
    ? { kind: 'retryable', code: errorCode, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }
    : { kind: 'permanent', code: errorCode, message };
  return { outcomes: allOutcomes(count, outcome), throttled };
}
