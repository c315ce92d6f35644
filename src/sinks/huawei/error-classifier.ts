import { parseRetryAfter } from '../../delivery/retry-policy.ts';
import type { HttpReply } from '../http-call.ts';
import { allOutcomes, type EntryOutcome, type SendResult } from '../sink.ts';
import { clip } from '../http-call.ts';

/** A Huawei error answer read into code + message, whatever shape the service used. */
export interface HuaweiError {
  status: number;
  code: string;
  message: string;
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
  const o = (body ?? {}) as Record<string, unknown>;
  const nested = (o.message ?? o.error) as Record<string, unknown> | undefined;
  let code: unknown = o.error_code ?? o.code;
  let message: unknown = o.error_msg ?? (typeof o.message === 'string' ? o.message : undefined);
  if (nested && typeof nested === 'object') {
    code ??= nested.code;
    message ??= nested.details ?? nested.message;
  }
  return {
    status: reply.status,
    code: typeof code === 'string' && code !== '' ? code : `http_${reply.status}`,
    message: typeof message === 'string' && message !== '' ? clip(message) : clip(reply.body) || `HTTP ${reply.status}`,
  };
}

const THROTTLING_CODES = new Set(['APIGW.0308', 'APIG.0308']);

/**
 * A non-2xx answer from Cloud Eye or AOM → one outcome for every entry of the request (both APIs
 * are all-or-nothing). Throttling (429, APIGW.0308) and server trouble (5xx, 408, ces.0007 /
 * ces.0008) are retryable; everything else — validation (ces.0011/0013/0014, AOM.0400),
 * authentication (APIGW.0301) — is final: the same request would be refused again.
 */
export function classifyHuaweiError(reply: HttpReply, count: number, now = Date.now()): SendResult {
  const e = parseHuaweiError(reply);
  const message = `${e.message} (HTTP ${e.status})`;
  const throttled = e.status === 429 || THROTTLING_CODES.has(e.code);
  const retryable = throttled || e.status >= 500 || e.status === 408;
  const retryAfterMs = parseRetryAfter(reply.headers.get('retry-after'), now);
  const outcome: EntryOutcome = retryable
    ? { kind: 'retryable', code: e.code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }
    : { kind: 'permanent', code: e.code, message };
  return { outcomes: allOutcomes(count, outcome), throttled };
}
