import { parseRetryAfter } from '../retry-after.ts';
import { clip } from '../clip.ts';
import type { HttpReply } from '../http-call.ts';
import type { SigningClock } from '../signing-clock.ts';
import { allOutcomes, deliveredAll, type EntryOutcome, type SendResult, unrecognisedAnswer } from '../sink.ts';

/**
 * How a PutCustomEvent answer is read. The API is all-or-nothing: one outcome for every entry.
 * Sources: the API reference (success `{"Code":"200","Message":"success","RequestId"}`, errors
 * 400/403/404/500 `%s`, `InternalError` 500), Alibaba's common error codes (throttling, signature,
 * timestamp, nonce, access key) and PROVIDERS.md ("a 200 answer may carry an error Code").
 */
export type CmsCodeClass = 'throttled' | 'busy' | 'clock' | 'auth' | 'invalid';

/** `Throttling`, `Throttling.User`, `Throttling.Api`, `Throttling.Concurrent`, … and HTTP 429. */
const THROTTLED = /^(Throttling(\..+)?|ServiceUnavailable\.Throttling|RequestThrottled|429)$/;
/** Server trouble, worth another try (5xx codes in numeric form too). */
const BUSY = /^(InternalError|InternalFailure|ServiceUnavailable|SystemBusy|ServerBusy|ServiceBusy|RequestTimeout|UnknownError|5\d\d)$/;
/** The request's Timestamp / x-acs-date is off the server's clock: the signing clock is. */
const CLOCK = /^(InvalidTimeStamp\.Expired|InvalidTimestamp\.Expired|RequestTimeTooSkewed)$/;
/**
 * A fresh nonce is signed on every attempt, so a used one is a collision (or a replay by something
 * in between), not a reason to drop the events.
 */
const NONCE = 'SignatureNonceUsed';
/** Credentials, signature, permission, a wrong endpoint: no event of any request can pass. */
const AUTH =
  /^(SignatureDoesNotMatch|IncompleteSignature|MissingSignature|InvalidTimeStamp\.Format|InvalidAccessKeyId(\..+)?|InvalidSecurityToken(\..+)?|Forbidden(\..+)?|NoPermission|InvalidAuthorization|AccessForbidden|InvalidAction(\..+)?|InvalidVersion|UnsupportedSignature.*|40[134])$/;
/** Refused for what the request carries: which event is at fault is not said. */
const INVALID = /^(InvalidParameter(\..+)?|InvalidParameterValue|ParameterInvalid|Missing.*|Invalid.*|400|413)$/;

export function cmsCodeClass(code: string, status: number): CmsCodeClass | undefined {
  if (code === NONCE) return 'busy';
  if (THROTTLED.test(code)) return 'throttled';
  if (CLOCK.test(code)) return 'clock';
  if (BUSY.test(code)) return 'busy';
  if (AUTH.test(code)) return 'auth';
  if (INVALID.test(code)) return 'invalid';
  // A code the table does not know, in Alibaba's error form: its status says what kind it is.
  if (status === 429) return 'throttled';
  if (status >= 500) return 'busy';
  if (status === 401 || status === 403 || status === 404) return 'auth';
  if (status >= 400) return 'invalid';
  return undefined;
}

/**
 * A PutCustomEvent answer → outcomes. Delivered only on HTTP 200 with `Code` "200" (string or
 * number). Any other `Code`, in a 200 or an error status, is classified by the table above:
 * throttling and busy codes are retried (honouring `x-acs-retry-after` in ms, else Retry-After);
 * a time error corrects `clock` from the answer's Date header and is retried at once; credential
 * and signature errors are final for the whole request; content refusals are final with
 * `scope: 'request'`, so the sink splits the request until the refused event is alone. Anything
 * else (no `Code`, not JSON, another 2xx) is an unrecognised answer, retried.
 */
export function classifyCmsAnswer(reply: HttpReply, count: number, clock: SigningClock, now = Date.now()): SendResult {
  const body = parseJsonObject(reply.body);
  const rawCode = body?.Code;
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode) : undefined;
  if (reply.status === 200 && code === '200') return deliveredAll(count);
  const contentType = reply.headers.get('content-type');
  const klass = code === undefined ? undefined : cmsCodeClass(code, reply.status);
  if (code === undefined || klass === undefined) {
    if (reply.status === 429) return retry(count, `http_429`, describe(reply, body), reply, now, true);
    if (reply.status >= 500) return retry(count, `http_${reply.status}`, describe(reply, body), reply, now, false);
    return unrecognisedAnswer(
      reply.status,
      contentType,
      reply.body,
      count,
      'HTTP 200 with JSON Code "200", or Alibaba\'s error JSON {Code, Message, RequestId}',
    );
  }
  const message = describe(reply, body);
  switch (klass) {
    case 'throttled':
      return retry(count, code, message, reply, now, true);
    case 'busy':
      return retry(count, code, message, reply, now, false);
    case 'clock': {
      const before = clock.offset;
      const corrected = clock.correctFrom(reply.headers.get('date'), now);
      const note = corrected
        ? `; signing clock corrected by ${Math.round((clock.offset - before) / 1000)} s from the answer's Date header`
        : '; the answer has no readable Date header to correct the signing clock from';
      return { outcomes: allOutcomes(count, { kind: 'retryable', code, message: message + note, retryAfterMs: 0 }), throttled: false };
    }
    case 'auth':
      return { outcomes: allOutcomes(count, { kind: 'permanent', code, message }), throttled: false };
    case 'invalid':
      return { outcomes: allOutcomes(count, { kind: 'permanent', code, message, scope: 'request' }), throttled: false };
  }
}

function retry(count: number, code: string, message: string, reply: HttpReply, now: number, throttled: boolean): SendResult {
  const retryAfterMs =
    parseRetryAfter(reply.headers.get('x-acs-retry-after'), now, 'ms') ?? parseRetryAfter(reply.headers.get('retry-after'), now);
  const outcome: EntryOutcome = { kind: 'retryable', code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  return { outcomes: allOutcomes(count, outcome), throttled };
}

function describe(reply: HttpReply, body: Record<string, unknown> | undefined): string {
  const text = typeof body?.Message === 'string' ? body.Message : clip(reply.body, 300) || 'no message';
  const id = typeof body?.RequestId === 'string' ? `, RequestId ${body.RequestId}` : '';
  return `${text} (HTTP ${reply.status}${id})`;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
