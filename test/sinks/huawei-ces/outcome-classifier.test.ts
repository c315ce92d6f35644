import { describe, expect, it } from 'vitest';
import type { HttpReply } from '../../../src/sinks/http-call.ts';
import { classifyCesResponse, refusedForTime } from '../../../src/sinks/huawei-ces/outcome-classifier.ts';

/** Every documented Cloud Eye / API gateway answer → its outcome (seed 001, PROVIDERS.md, gateway FAQs). */

const reply = (status: number, body: unknown, headers: Record<string, string> = {}): HttpReply => ({
  status,
  headers: new Headers({ 'content-type': 'application/json', ...headers }),
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const v1 = (status: number, code: string, details = 'x') => reply(status, { http_code: status, message: { details, code } });
const gw = (status: number, code: string, msg = 'x', headers: Record<string, string> = {}) =>
  reply(status, { error_code: code, error_msg: msg, request_id: 'r' }, headers);
const NOW = Date.parse('2026-12-02T10:00:00Z');

describe('classifyCesResponse', () => {
  it('201 with one event id per entry: delivered, ids index-aligned', () => {
    const r = classifyCesResponse(
      reply(201, [
        { event_id: 'ev1', event_name: 'a' },
        { event_id: 'ev2', event_name: 'b' },
      ]),
      2,
      NOW,
    );
    expect(r.outcomes).toEqual([
      { kind: 'delivered', providerId: 'ev1' },
      { kind: 'delivered', providerId: 'ev2' },
    ]);
  });

  type Row = [string, HttpReply, { kind: string; code?: string; scope?: string; retryAfterMs?: number }, boolean?];
  const rows: Row[] = [
    ['ces.0014 400 (validation)', v1(400, 'ces.0014'), { kind: 'permanent', code: 'ces.0014', scope: 'request' }],
    ['ces.0011 400', v1(400, 'ces.0011'), { kind: 'permanent', code: 'ces.0011', scope: 'request' }],
    ['ces.0013 400', v1(400, 'ces.0013'), { kind: 'permanent', code: 'ces.0013', scope: 'request' }],
    ['ces.0007 500', v1(500, 'ces.0007'), { kind: 'retryable', code: 'ces.0007' }],
    ['ces.0008 503', v1(503, 'ces.0008'), { kind: 'retryable', code: 'ces.0008' }],
    [
      'APIGW.0308 429 with Retry-After',
      gw(429, 'APIGW.0308', 'throttled', { 'retry-after': '2' }),
      { kind: 'retryable', code: 'APIGW.0308', retryAfterMs: 2000 },
      true,
    ],
    ['plain 429', reply(429, 'Too Many Requests'), { kind: 'retryable', code: 'http_429' }, true],
    ['408', reply(408, 'timeout'), { kind: 'retryable', code: 'http_408' }],
    ['502 HTML from a proxy', reply(502, '<html>bad gateway</html>'), { kind: 'retryable', code: 'http_502' }],
    [
      'APIGW.0301 bad signature',
      gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail'),
      { kind: 'permanent', code: 'APIGW.0301' },
    ],
    [
      'APIGW.0301 signature expired (clock)',
      gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: calc ak sk signature fail:signature expired'),
      { kind: 'retryable', code: 'APIGW.0301', retryAfterMs: 0 },
    ],
    [
      'APIG.0303 signature expired',
      gw(
        401,
        'APIG.0303',
        'Incorrect app authentication information: signature expired, signature time:20230527T000431Z,server time:20230527T020608Z',
      ),
      { kind: 'retryable', code: 'APIG.0303', retryAfterMs: 0 },
    ],
    [
      'APIGW.0307 token must be updated',
      gw(401, 'APIGW.0307', 'The token must be updated.'),
      { kind: 'retryable', code: 'APIGW.0307', retryAfterMs: 0 },
    ],
    [
      'APIGW.0301 token expires',
      gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: token expires, expires_at: x'),
      { kind: 'retryable', code: 'APIGW.0301', retryAfterMs: 0 },
    ],
    ['403 forbidden (documented code)', gw(403, 'APIGW.0302', 'not authorized'), { kind: 'permanent', code: 'APIGW.0302' }],
    ['404 no such API', gw(404, 'APIGW.0101', 'The API does not exist'), { kind: 'permanent', code: 'APIGW.0101' }],
    ['400 without a documented body', reply(400, '<html>Bad Request</html>'), { kind: 'retryable', code: 'unrecognised_answer' }],
    [
      'HTML page with 200',
      reply(200, '<html></html>', { 'content-type': 'text/html' }),
      { kind: 'retryable', code: 'unrecognised_answer' },
    ],
    ['empty 200', reply(200, ''), { kind: 'retryable', code: 'unrecognised_answer' }],
    ['error JSON in a 200', reply(200, { error_code: 'AOM.0400' }), { kind: 'retryable', code: 'unrecognised_answer' }],
    [
      '202',
      reply(202, [
        { event_id: 'a', event_name: 'b' },
        { event_id: 'c', event_name: 'd' },
      ]),
      { kind: 'retryable', code: 'unrecognised_answer' },
    ],
    ['201 with bad JSON', reply(201, '[{"event_id":'), { kind: 'retryable', code: 'unrecognised_answer' }],
    ['201 with too few ids', reply(201, [{ event_id: 'a', event_name: 'b' }]), { kind: 'retryable', code: 'unrecognised_answer' }],
    ['201 without event_id', reply(201, [{ event_name: 'b' }, { event_name: 'c' }]), { kind: 'retryable', code: 'unrecognised_answer' }],
  ];
  it.each(rows)('%s', (_what, r, expected, throttled = false) => {
    const result = classifyCesResponse(r, 2, NOW);
    expect(result.outcomes).toHaveLength(2);
    for (const o of result.outcomes) expect(o).toMatchObject(expected);
    if (expected.scope === undefined) for (const o of result.outcomes) expect(o).not.toHaveProperty('scope');
    expect(result.throttled).toBe(throttled);
  });

  it('tells a refusal for the time apart from other refusals', () => {
    const time = classifyCesResponse(v1(400, 'ces.0014', '[0].time 1 is 120 min in the past: it must be within [...]'), 1, NOW)
      .outcomes[0]!;
    const other = classifyCesResponse(v1(400, 'ces.0014', '[0].detail.resource_id "a/b" is invalid'), 1, NOW).outcomes[0]!;
    expect(refusedForTime(time)).toBe(true);
    expect(refusedForTime(other)).toBe(false);
  });
});
