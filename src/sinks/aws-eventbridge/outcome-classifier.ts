import type { PutEventsResponse } from '@aws-sdk/client-eventbridge';
import { allOutcomes, type EntryOutcome, type SendResult } from '../sink.ts';

/** Per-entry error codes worth another try (PutEvents reference); every other code is final. */
const RETRYABLE_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable']);

/** Whole-request exception names that are transient. ThrottlingException arrives as HTTP 400. */
const RETRYABLE_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalFailure',
  'InternalException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  // The SDK corrects its clock offset from the response: the next attempt is signed right.
  'RequestExpired',
  'RequestTimeTooSkewed',
  'TimeoutError',
  'AbortError',
  // No credentials yet (IMDS or the token file not ready): the chain may succeed later.
  'CredentialsProviderError',
]);
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** Response of a PutEvents call → one outcome per entry, index-aligned. */
export function classifyResponse(response: PutEventsResponse, count: number): SendResult {
  const entries = response.Entries ?? [];
  let throttled = false;
  const outcomes: EntryOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const e = entries[i];
    if (!e) {
      outcomes.push({ kind: 'retryable', code: 'MissingEntryResult', message: `PutEvents returned ${entries.length} results for ${count} entries` });
    } else if (e.EventId && !e.ErrorCode) {
      outcomes.push({ kind: 'delivered', providerId: e.EventId });
    } else {
      const code = e.ErrorCode ?? 'UnknownError';
      const message = e.ErrorMessage ?? code;
      if (THROTTLING.has(code)) throttled = true;
      outcomes.push(RETRYABLE_ENTRY_CODES.has(code) ? { kind: 'retryable', code, message } : { kind: 'permanent', code, message });
    }
  }
  return { outcomes, throttled };
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** A thrown error (SDK exception, network failure, timeout) → the same outcome for every entry. */
export function classifyError(err: unknown, count: number, retryAfterMs?: number): SendResult {
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  const throttled = THROTTLING.has(name) || status === 429 || e.$retryable?.throttling === true;
  const networkError = status === undefined && (e.code !== undefined || /ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket/i.test(e.message ?? ''));
  const retryable = throttled || RETRYABLE_ERRORS.has(name) || (status !== undefined && status >= 500) || networkError || e.$fault === 'server';
  const outcome: EntryOutcome = retryable
    ? { kind: 'retryable', code: name, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }
    : { kind: 'permanent', code: name, message };
  return { outcomes: allOutcomes(count, outcome), throttled };
}
