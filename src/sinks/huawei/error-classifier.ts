import { parseRetryAfter } from '../retry-after.ts';
import type { HttpReply } from '../http-call.ts';
import { allOutcomes, type EntryOutcome, type SendResult, unrecognisedAnswer } from '../sink.ts';
import { clip } from '../clip.ts';

/** A Huawei error answer read into code + message, whatever shape the service used. */
export interface HuaweiError {
  status: number;
  code: string;
  message: string;
  /** The body carried a code in one of the documented shapes (else `code` is `http_{status}`). */
  documented: boolean;
}

/**
 * The error shapes seen behind Huawei's API gateway: the gateway's and newer services'
 * `{error_code, error_msg}`, AOM's `{error_code, error_msg, error_type, trace_id}`, and Cloud
 * Eye v1's `{http_code, message: {details, code}}`. Anything else keeps the raw body.
 */
export function parseHuaweiError(reply: HttpReply): HuaweiError {
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    body = undefined;
  }
  const o = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const nested = (o.message ?? o.error) as Record<string, unknown> | undefined;
  let code: unknown = o.error_code ?? o.code;
  let message: unknown = o.error_msg ?? (typeof o.message === 'string' ? o.message : undefined);
  if (nested && typeof nested === 'object') {
    code ??= nested.code;
    message ??= nested.details ?? nested.message;
  }
  const documented = typeof code === 'string' && code !== '';
  return {
    status: reply.status,
    code: documented ? (code as string) : `http_${reply.status}`,
    message: typeof message === 'string' && message !== '' ? clip(message) : clip(reply.body) || `HTTP ${reply.status}`,
    documented,
  };
}

/** `APIGW.0308` and its older spelling: the gateway's throttling (Huawei API Gateway error codes). */
const THROTTLING_CODES = new Set(['APIGW.0308', 'APIG.0308']);
/** "The token must be updated": an IAM token past its 24 h (Huawei API Gateway error codes, APIG.0307 FAQ). */
const TOKEN_EXPIRED_CODES = new Set(['APIGW.0307', 'APIG.0307']);
/** IAM (`.0301`) and app (`.0303`) authentication failures; their message says which kind. */
const AUTH_CODES = new Set(['APIGW.0301', 'APIG.0301', 'APIGW.0303', 'APIG.0303']);
/** Cloud Eye's server-side failures (ces.0007 internal error, ces.0008 service unavailable). */
const SERVER_CODES = new Set(['ces.0007', 'ces.0008']);

/**
 * What an authentication refusal asks of the caller:
 * - `clock`: the signature is out of the gateway's 15-minute window — "calc ak sk signature
 *   fail:signature expired" (APIGW.0301, Huawei SIS FAQ sis_04_0087) or "signature expired,
 *   signature time:…, server time:…" (APIG.0303, API Gateway FAQ apig-faq-0009). Sign with the
 *   gateway's clock (its `Date` header) and send again. A temporary AK/SK past its time gets the
 *   same words, so its credential is renewed too.
 * - `credential`: the token must be renewed (APIGW.0307 "The token must be updated", or
 *   APIGW.0301 "token expires").
 * Anything else (a wrong AK/SK, "verify aksk signature fail") is final.
 */
export function authRenewal(e: HuaweiError): 'clock' | 'credential' | undefined {
  if (TOKEN_EXPIRED_CODES.has(e.code)) return 'credential';
  if (!AUTH_CODES.has(e.code)) return undefined;
  if (/signature expired|x-sdk-date expired|request expired/i.test(e.message)) return 'clock';
  if (/token expire/i.test(e.message)) return 'credential';
  return undefined;
}

/**
 * A non-2xx answer from Cloud Eye or AOM → one outcome for every entry of the request (both APIs
 * are all-or-nothing):
 * - throttling (429, APIGW.0308): retryable, `throttled`, with the answer's Retry-After;
 * - server trouble (5xx, 408, ces.0007 / ces.0008): retryable;
 * - an expired token or signature (see `authRenewal`): retryable at once;
 * - `validation` codes (the caller's list, e.g. ces.0011/0013/0014, AOM.0400): final, with
 *   `scope: 'request'` — the request was refused as a whole for the content of some entry;
 * - other documented codes (APIGW.0301 bad signature, 403 forbidden, 404 no such API): final;
 * - a 4xx without a documented error body (an HTML page from a proxy): not the provider's answer,
 *   retried as `unrecognised_answer`.
 */
export function classifyHuaweiError(
  reply: HttpReply,
  count: number,
  now = Date.now(),
  validation: ReadonlySet<string> = new Set(),
): SendResult {
  const e = parseHuaweiError(reply);
  const message = `${e.message} (HTTP ${e.status})`;
  const throttled = e.status === 429 || THROTTLING_CODES.has(e.code);
  const retryAfterMs = parseRetryAfter(reply.headers.get('retry-after'), now);
  const retry = (extra: { retryAfterMs?: number } = {}): SendResult => ({
    outcomes: allOutcomes(count, {
      kind: 'retryable',
      code: e.code,
      message,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...extra,
    }),
    throttled,
  });
  if (throttled || e.status >= 500 || e.status === 408 || SERVER_CODES.has(e.code)) return retry();
  if (authRenewal(e)) return retry({ retryAfterMs: 0 });
  if (!e.documented)
    return unrecognisedAnswer(reply.status, reply.headers.get('content-type'), reply.body, count, 'a Huawei error body with an error code');
  const outcome: EntryOutcome = validation.has(e.code)
    ? { kind: 'permanent', code: e.code, message, scope: 'request' }
    : { kind: 'permanent', code: e.code, message };
  return { outcomes: allOutcomes(count, outcome), throttled: false };
}
