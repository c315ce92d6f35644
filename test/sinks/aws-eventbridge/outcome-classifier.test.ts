import { describe, expect, it } from 'vitest';
import { classifyError, classifyResponse, type ThrownError } from '../../../src/sinks/aws-eventbridge/outcome-classifier.ts';

const ok = (id: string) => ({ EventId: id });
const failed = (code: string) => ({ ErrorCode: code, ErrorMessage: `${code} happened` });

describe('PutEvents per-entry results (200)', () => {
  it.each([
    ['ThrottlingException', 'retryable'],
    ['InternalFailure', 'retryable'],
    ['AccessDeniedException', 'permanent'],
    ['InvalidAccountIdException', 'permanent'],
    ['InvalidArgument', 'permanent'],
    ['MalformedDetail', 'permanent'],
    ['RedactionFailure', 'permanent'],
    ['NotAuthorizedForSourceException', 'permanent'],
    ['NotAuthorizedForDetailTypeException', 'permanent'],
    ['SomethingNew', 'permanent'],
  ])('%s → %s', (code, kind) => {
    const r = classifyResponse({ $metadata: { httpStatusCode: 200 }, FailedEntryCount: 1, Entries: [ok('e1'), failed(code)] }, 2);
    expect(r.outcomes[0]).toEqual({ kind: 'delivered', providerId: 'e1' });
    expect(r.outcomes[1]).toMatchObject({ kind, code, message: `${code} happened` });
    expect(r.throttled).toBe(code === 'ThrottlingException');
  });

  it.each([
    ['no Entries', { $metadata: { httpStatusCode: 200 } }],
    ['fewer results than entries', { $metadata: { httpStatusCode: 200 }, FailedEntryCount: 0, Entries: [ok('e1')] }],
    ['more results than entries', { $metadata: { httpStatusCode: 200 }, FailedEntryCount: 0, Entries: [ok('a'), ok('b'), ok('c')] }],
    ['a 202', { $metadata: { httpStatusCode: 202 }, FailedEntryCount: 0, Entries: [ok('a'), ok('b')] }],
  ])('%s → unrecognised answer, retried, nothing delivered', (_name, out) => {
    const r = classifyResponse(out, 2);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['retryable', 'retryable']);
    expect(r.outcomes[0]).toMatchObject({ code: 'unrecognised_answer' });
  });

  it('an entry with neither EventId nor ErrorCode is not delivered', () => {
    const r = classifyResponse({ $metadata: { httpStatusCode: 200 }, Entries: [ok('a'), {}] }, 2);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['delivered', 'retryable']);
  });
});

function sdkError(
  name: string,
  status: number | undefined,
  message = 'm',
  headers: Record<string, string> = {},
  extra: Partial<ThrownError> = {},
): ThrownError {
  return {
    name,
    message,
    ...(status !== undefined
      ? { $metadata: { httpStatusCode: status }, $response: { statusCode: status, headers: { 'x-amzn-errortype': name, ...headers } } }
      : {}),
    ...extra,
  };
}
const retryAfter = (v: string | undefined) => (v === undefined ? undefined : Number(v) * 1000);

describe('PutEvents whole-request errors', () => {
  const table: [string, ThrownError, string, Record<string, unknown>?][] = [
    [
      'ThrottlingException 400',
      sdkError('ThrottlingException', 400, 'Rate exceeded', { 'retry-after': '2' }),
      'retryable',
      { retryAfterMs: 2000, throttled: true },
    ],
    ['InternalFailure 500', sdkError('InternalFailure', 500), 'retryable'],
    ['InternalException 500', sdkError('InternalException', 500), 'retryable'],
    ['ServiceUnavailable 503', sdkError('ServiceUnavailable', 503), 'retryable'],
    ['an unknown 5xx AWS error', sdkError('BrandNewFault', 502), 'retryable'],
    ['RequestExpired 400', sdkError('RequestExpired', 400, 'Request has expired.'), 'retryable', { retryAfterMs: 0 }],
    [
      'InvalidSignatureException "Signature expired" 400',
      sdkError(
        'InvalidSignatureException',
        400,
        'Signature expired: 20261202T100000Z is now earlier than 20261202T101500Z (20261202T102000Z - 5 min.)',
      ),
      'retryable',
      { retryAfterMs: 0 },
    ],
    [
      'InvalidSignatureException "Signature not yet current" 400',
      sdkError(
        'InvalidSignatureException',
        400,
        'Signature not yet current: 20261202T104000Z is still later than 20261202T102500Z (20261202T102000Z + 5 min.)',
      ),
      'retryable',
      { retryAfterMs: 0 },
    ],
    ['ExpiredTokenException 400', sdkError('ExpiredTokenException', 400), 'retryable'],
    [
      'InvalidSignatureException (wrong secret) 400',
      sdkError('InvalidSignatureException', 400, 'The request signature we calculated does not match'),
      'permanent',
    ],
    ['UnrecognizedClientException 400', sdkError('UnrecognizedClientException', 400), 'permanent'],
    ['InvalidClientTokenId 403', sdkError('InvalidClientTokenId', 403), 'permanent'],
    ['AccessDeniedException 400', sdkError('AccessDeniedException', 400), 'permanent'],
    ['IncompleteSignatureException 400', sdkError('IncompleteSignatureException', 400), 'permanent'],
    ['MissingAuthenticationTokenException 403', sdkError('MissingAuthenticationTokenException', 403), 'permanent'],
    ['ValidationException 400', sdkError('ValidationException', 400), 'permanent', { scope: 'request' }],
    ['SerializationException 400', sdkError('SerializationException', 400), 'permanent', { scope: 'request' }],
    [
      'an HTML 502 from a proxy',
      sdkError('Unknown', 502, 'Unexpected token <', { 'x-amzn-errortype': undefined as unknown as string, 'content-type': 'text/html' }),
      'retryable',
      { code: 'unrecognised_answer' },
    ],
    ['a 302 redirect', sdkError('Unknown', 302, '', { location: 'http://elsewhere/' }), 'retryable', { code: 'redirect_not_followed' }],
    [
      'an answer over the size cap',
      { name: 'AnswerTooLargeError', message: 'the answer is longer than 262144 bytes', $metadata: { httpStatusCode: 500 } },
      'retryable',
      { code: 'unrecognised_answer' },
    ],
    [
      'a refused connection',
      { name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' },
      'retryable',
      { code: 'ECONNREFUSED' },
    ],
    ['a timeout', { name: 'TimeoutError', message: 'socket hang up' }, 'retryable'],
    ['no credentials yet', { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' }, 'retryable'],
  ];
  it.each(table)('%s → %s', (_name, err, kind, extra = {}) => {
    const r = classifyError(err, 3, retryAfter, true);
    expect(r.outcomes).toHaveLength(3);
    const { throttled, ...fields } = extra;
    for (const o of r.outcomes) expect(o).toMatchObject({ kind, ...fields });
    expect(r.throttled).toBe(throttled === true);
  });
});

describe('clock skew without a correction', () => {
  it('a skew refusal that did not move the signing clock waits for the usual backoff (no tight loop)', () => {
    const err = sdkError(
      'InvalidSignatureException',
      400,
      'Signature expired: 20261202T100000Z is now earlier than 20261202T101500Z (20261202T102000Z - 5 min.)',
    );
    const o = classifyError(err, 1, retryAfter, false).outcomes[0]!;
    expect(o).toMatchObject({ kind: 'retryable', code: 'InvalidSignatureException' });
    expect(o).not.toHaveProperty('retryAfterMs');
  });
});
