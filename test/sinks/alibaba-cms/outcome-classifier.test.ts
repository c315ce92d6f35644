import { describe, expect, it } from 'vitest';
import type { HttpReply } from '../../../src/sinks/http-call.ts';
import { classifyCmsAnswer } from '../../../src/sinks/alibaba-cms/outcome-classifier.ts';
import { SigningClock } from '../../../src/sinks/signing-clock.ts';

/**
 * Every PutCustomEvent answer → outcome. Sources: the API reference (success body; 400/403/404/500
 * `%s`; InternalError 500), Alibaba's common error codes (throttling, signature, timestamp, nonce,
 * access key), PROVIDERS.md (a 200 may carry an error Code; Throttling is HTTP 400 or 429 with
 * x-acs-retry-after).
 */
const NOW = Date.parse('2026-12-02T10:00:00Z');

function reply(status: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: new Headers({ 'content-type': 'application/json;charset=utf-8', ...headers }), body: text };
}
const err = (Code: string | number, Message = 'm') => ({
  RequestId: 'R-1',
  HostId: 'metrics.cn-hangzhou.aliyuncs.com',
  Code,
  Message,
  Recommend: 'r',
});

type Expect = { kind: string; code?: string; scope?: 'request'; throttled?: boolean; retryAfterMs?: number };

const cases: [string, HttpReply, Expect][] = [
  ['200 Code "200" (API reference)', reply(200, { Code: '200', Message: 'success', RequestId: 'r' }), { kind: 'delivered' }],
  ['200 Code 200 as a number', reply(200, { Code: 200, Message: 'success', RequestId: 'r' }), { kind: 'delivered' }],
  [
    '400 Throttling.User',
    reply(400, err('Throttling.User'), { 'x-acs-retry-after': '1500' }),
    { kind: 'retryable', code: 'Throttling.User', throttled: true, retryAfterMs: 1500 },
  ],
  [
    '400 Throttling.Api, Retry-After in s',
    reply(400, err('Throttling.Api'), { 'retry-after': '2' }),
    { kind: 'retryable', code: 'Throttling.Api', throttled: true, retryAfterMs: 2000 },
  ],
  ['429 Throttling', reply(429, err('Throttling')), { kind: 'retryable', code: 'Throttling', throttled: true }],
  ['200 with Code Throttling.User', reply(200, err('Throttling.User')), { kind: 'retryable', code: 'Throttling.User', throttled: true }],
  ['200 with Code "429"', reply(200, err('429')), { kind: 'retryable', code: '429', throttled: true }],
  ['500 InternalError (API reference)', reply(500, err('InternalError')), { kind: 'retryable', code: 'InternalError', throttled: false }],
  ['503 ServiceUnavailable', reply(503, err('ServiceUnavailable')), { kind: 'retryable', code: 'ServiceUnavailable' }],
  ['200 with Code "500"', reply(200, err('500')), { kind: 'retryable', code: '500' }],
  ['200 with Code SystemBusy', reply(200, err('SystemBusy')), { kind: 'retryable', code: 'SystemBusy' }],
  [
    '400 SignatureNonceUsed (fresh nonce next time)',
    reply(400, err('SignatureNonceUsed')),
    { kind: 'retryable', code: 'SignatureNonceUsed' },
  ],
  [
    '400 InvalidTimeStamp.Expired with Date',
    reply(400, err('InvalidTimeStamp.Expired'), { date: new Date(NOW + 20 * 60_000).toUTCString() }),
    { kind: 'retryable', code: 'InvalidTimeStamp.Expired', retryAfterMs: 0 },
  ],
  ['400 SignatureDoesNotMatch', reply(400, err('SignatureDoesNotMatch')), { kind: 'permanent', code: 'SignatureDoesNotMatch' }],
  ['400 IncompleteSignature', reply(400, err('IncompleteSignature')), { kind: 'permanent', code: 'IncompleteSignature' }],
  ['400 InvalidTimeStamp.Format', reply(400, err('InvalidTimeStamp.Format')), { kind: 'permanent', code: 'InvalidTimeStamp.Format' }],
  [
    '404 InvalidAccessKeyId.NotFound',
    reply(404, err('InvalidAccessKeyId.NotFound')),
    { kind: 'permanent', code: 'InvalidAccessKeyId.NotFound' },
  ],
  [
    '400 InvalidAccessKeyId.Inactive',
    reply(400, err('InvalidAccessKeyId.Inactive')),
    { kind: 'permanent', code: 'InvalidAccessKeyId.Inactive' },
  ],
  ['403 Forbidden.RAM', reply(403, err('Forbidden.RAM')), { kind: 'permanent', code: 'Forbidden.RAM' }],
  ['403 with an unknown code', reply(403, err('NoSuchThing')), { kind: 'permanent', code: 'NoSuchThing' }],
  ['404 InvalidAction.NotFound', reply(404, err('InvalidAction.NotFound')), { kind: 'permanent', code: 'InvalidAction.NotFound' }],
  [
    '400 InvalidParameter: the request is split',
    reply(400, err('InvalidParameter')),
    { kind: 'permanent', code: 'InvalidParameter', scope: 'request' },
  ],
  [
    '400 MissingEventInfo.2.Content',
    reply(400, err('MissingEventInfo.2.Content')),
    { kind: 'permanent', code: 'MissingEventInfo.2.Content', scope: 'request' },
  ],
  ['400 with an unknown code', reply(400, err('Whatever.Else')), { kind: 'permanent', code: 'Whatever.Else', scope: 'request' }],
  ['200 with Code "400"', reply(200, err('400')), { kind: 'permanent', code: '400', scope: 'request' }],
  [
    '200 with Code InvalidParameter',
    reply(200, err('InvalidParameter')),
    { kind: 'permanent', code: 'InvalidParameter', scope: 'request' },
  ],
  ['200 with an unknown Code', reply(200, err('Strange')), { kind: 'retryable', code: 'unrecognised_answer' }],
  ['200 without Code', reply(200, { Message: 'success' }), { kind: 'retryable', code: 'unrecognised_answer' }],
  ['200 lower-case code', reply(200, { code: '200', message: 'success' }), { kind: 'retryable', code: 'unrecognised_answer' }],
  ['200 HTML page', reply(200, '<html>nginx</html>', { 'content-type': 'text/html' }), { kind: 'retryable', code: 'unrecognised_answer' }],
  ['200 empty', reply(200, ''), { kind: 'retryable', code: 'unrecognised_answer' }],
  ['200 bad JSON', reply(200, '{"Code":'), { kind: 'retryable', code: 'unrecognised_answer' }],
  ['200 JSON array', reply(200, [{ Code: '200' }]), { kind: 'retryable', code: 'unrecognised_answer' }],
  ['202 with Code "200"', reply(202, { Code: '200' }), { kind: 'retryable', code: 'unrecognised_answer' }],
  [
    '404 HTML from a proxy',
    reply(404, '<html>Not Found</html>', { 'content-type': 'text/html' }),
    { kind: 'retryable', code: 'unrecognised_answer' },
  ],
  [
    '502 HTML from a proxy',
    reply(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' }),
    { kind: 'retryable', code: 'http_502' },
  ],
  ['429 without a body', reply(429, ''), { kind: 'retryable', code: 'http_429', throttled: true }],
];

describe('PutCustomEvent answers', () => {
  it.each(cases)('%s', (_name, r, want) => {
    const result = classifyCmsAnswer(r, 3, new SigningClock(), NOW);
    expect(result.outcomes).toHaveLength(3);
    const o = result.outcomes[0]!;
    expect(result.outcomes.every((x) => JSON.stringify(x) === JSON.stringify(o))).toBe(true);
    expect(o.kind).toBe(want.kind);
    if (o.kind !== 'delivered') {
      if (want.code) expect(o.code).toBe(want.code);
      expect(o.message.length).toBeGreaterThan(0);
    }
    if (o.kind === 'permanent') expect(o.scope).toBe(want.scope);
    if (o.kind === 'retryable' && want.retryAfterMs !== undefined) expect(o.retryAfterMs).toBe(want.retryAfterMs);
    if (want.throttled !== undefined) expect(result.throttled).toBe(want.throttled);
  });

  it('a timestamp-expired answer sets the signing clock to the Date header', () => {
    const clock = new SigningClock();
    const r = classifyCmsAnswer(
      reply(400, err('InvalidTimeStamp.Expired'), { date: new Date(NOW - 20 * 60_000).toUTCString() }),
      1,
      clock,
      NOW,
    );
    expect(clock.offset).toBe(-20 * 60_000);
    expect(r.outcomes[0]).toMatchObject({
      kind: 'retryable',
      retryAfterMs: 0,
      message: expect.stringMatching(/signing clock corrected by -1200 s/),
    });
  });

  it('without a Date header the clock stays and the message says why', () => {
    const clock = new SigningClock();
    const r = classifyCmsAnswer(reply(400, err('InvalidTimeStamp.Expired')), 1, clock, NOW);
    expect(clock.offset).toBe(0);
    expect(r.outcomes[0]).toMatchObject({ kind: 'retryable', message: expect.stringMatching(/no readable Date header/) });
  });

  it("carries the provider's message and request id", () => {
    const r = classifyCmsAnswer(
      reply(400, err('SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.')),
      1,
      new SigningClock(),
      NOW,
    );
    expect(r.outcomes[0]).toMatchObject({ message: 'Specified signature is not matched with our calculation. (HTTP 400, RequestId R-1)' });
  });
});
