import { allOutcomes, type EntryOutcome, type SendResult, UNRECOGNISED_ANSWER, unrecognisedAnswer } from '../sink.ts';

/**
 * PutEvents answers → one outcome per entry, index-aligned. Sources: the botocore events model
 * (PutEventsResultEntry.ErrorCode: which per-entry codes are retryable), the EventBridge common
 * errors, PROVIDERS.md (whole-request errors and their HTTP status, clock skew).
 */

/** Per-entry codes worth another try (botocore PutEventsResultEntry.ErrorCode); every other is final. */
export const RETRYABLE_ENTRY_CODES: ReadonlySet<string> = new Set(['ThrottlingException', 'InternalFailure']);

/** Whole-request "slow down": ThrottlingException comes as HTTP 400, not 429. */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** Whole-request errors that are transient. */
const TRANSIENT = new Set([
  'InternalFailure',
  'InternalException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  // Temporary credentials ran out between two refreshes: the credential chain fetches new ones.
  'ExpiredTokenException',
  // No credentials yet (IMDS, a token file not written yet): the chain may succeed later.
  'CredentialsProviderError',
]);

/** The request's content was refused as a whole: split it until the refused entry is alone. */
const REFUSED_AS_WHOLE = new Set(['ValidationException', 'SerializationException']);

/** Codes AWS gives for a request signed with a clock more than 5 minutes off its own. */
const CLOCK_SKEW = new Set(['RequestExpired', 'RequestTimeTooSkewed', 'SignatureDoesNotMatch', 'InvalidSignatureException']);
const SKEW_MESSAGE = /Signature expired|Signature not yet current|RequestExpired|too skewed|clock skew/i;

const ACCEPTANCE = 'HTTP 200 with an EventId or ErrorCode for each entry';

/** What the SDK gives back on success: the parsed body and the HTTP status. */
export interface PutEventsOutput {
  $metadata?: { httpStatusCode?: number | undefined };
  FailedEntryCount?: number | undefined;
  Entries?: Array<{ EventId?: string | undefined; ErrorCode?: string | undefined; ErrorMessage?: string | undefined }> | undefined;
}

/** A 200 answer → per-entry outcomes; anything but a result per entry is an unrecognised answer. */
export function classifyResponse(out: PutEventsOutput, count: number): SendResult {
  const status = out.$metadata?.httpStatusCode ?? 200;
  const entries = out.Entries;
  if (status !== 200 || !Array.isArray(entries) || entries.length !== count) {
    const { $metadata: _m, ...body } = out;
    return unrecognisedAnswer(
      status,
      null,
      JSON.stringify(body),
      count,
      `${ACCEPTANCE} (${Array.isArray(entries) ? entries.length : 'no'} results for ${count} entries)`,
    );
  }
  let throttled = false;
  const outcomes = entries.map((e): EntryOutcome => {
    if (e.ErrorCode) {
      const message = e.ErrorMessage || e.ErrorCode;
      if (THROTTLING.has(e.ErrorCode)) throttled = true;
      return RETRYABLE_ENTRY_CODES.has(e.ErrorCode)
        ? { kind: 'retryable', code: e.ErrorCode, message }
        : { kind: 'permanent', code: e.ErrorCode, message };
    }
    if (typeof e.EventId === 'string' && e.EventId !== '') return { kind: 'delivered', providerId: e.EventId };
    return {
      kind: 'retryable',
      code: UNRECOGNISED_ANSWER,
      message: `result entry ${JSON.stringify(e).slice(0, 200)} has neither an EventId nor an ErrorCode`,
    };
  });
  return { outcomes, throttled };
}

/** The fields of an SDK exception (or any thrown error) that the classifier reads. */
export interface ThrownError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number | undefined; clockSkewCorrected?: boolean | undefined };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
  /** Set by the SDK when the body could not be parsed. */
  $responseBodyText?: string;
}

/**
 * A thrown error (an AWS error answer, an unreadable answer, a network failure) → the same outcome
 * for every entry. `clockCorrected`: the SDK's signing clock moved by this answer (its Date header),
 * so a skew refusal is retried at once; otherwise it waits for the usual backoff.
 */
export function classifyError(
  err: unknown,
  count: number,
  parseRetryAfter: (v: string | undefined) => number | undefined = () => undefined,
  clockCorrected = false,
): SendResult {
  const e: ThrownError = err !== null && typeof err === 'object' ? (err as ThrownError) : { message: String(err) };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const headers = e.$response?.headers ?? {};
  // The SDK appends a hint about its hidden `$response` field: not for users.
  const text = (e.message ?? '').replace(/\s*Deserialization error: to see the raw response.*$/s, '');
  const message = `${name}${status ? ` (HTTP ${status})` : ''}: ${text}`;
  const all = (outcome: EntryOutcome, throttled = false): SendResult => ({ outcomes: allOutcomes(count, outcome), throttled });

  if (name === 'AnswerTooLargeError')
    return all({ kind: 'retryable', code: UNRECOGNISED_ANSWER, message: `HTTP ${status ?? '?'}: ${text}` });
  if (status !== undefined && status >= 300 && status < 400) {
    const location = headers.location ?? headers.Location;
    return all({
      kind: 'retryable',
      code: 'redirect_not_followed',
      message: `HTTP ${status} redirect to ${location ?? '(no Location)'} not followed`,
    });
  }
  if (THROTTLING.has(name) || status === 429) {
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return all({ kind: 'retryable', code: name, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, true);
  }
  // The SDK has learnt the server's time from the answer's Date header (`systemClockOffset`):
  // when that moved its clock, the next attempt is signed right, so retry at once. A refusal
  // that did not move it (no Date header, or still refused) waits like any other, never a loop.
  if (CLOCK_SKEW.has(name) && (name === 'RequestExpired' || name === 'RequestTimeTooSkewed' || SKEW_MESSAGE.test(text))) {
    return all({ kind: 'retryable', code: name, message, ...(clockCorrected ? { retryAfterMs: 0 } : {}) });
  }
  if (TRANSIENT.has(name)) return all({ kind: 'retryable', code: name, message });
  if (REFUSED_AS_WHOLE.has(name)) return all({ kind: 'permanent', code: name, message, scope: 'request' });
  if (status === undefined) {
    // No answer at all: refused, reset, DNS, TLS, timeout — or the SDK failed before sending.
    return all({ kind: 'retryable', code: e.code ?? name, message });
  }
  if (e.$responseBodyText !== undefined || !hasErrorType(name, headers)) {
    // Neither an acceptance nor an AWS error: an HTML page, a proxy's answer, bad JSON.
    return unrecognisedAnswer(status, headers['content-type'] ?? null, e.$responseBodyText ?? text, count, ACCEPTANCE);
  }
  if (status >= 500 || e.$fault === 'server') return all({ kind: 'retryable', code: name, message });
  return all({ kind: 'permanent', code: name, message });
}

/** An AWS error answer names its type (`__type` in the body, or `x-amzn-errortype`). */
function hasErrorType(name: string, headers: Record<string, string | undefined>): boolean {
  return headers['x-amzn-errortype'] !== undefined || !/^(Unknown|UnknownError|Error|SyntaxError)$/.test(name);
}
