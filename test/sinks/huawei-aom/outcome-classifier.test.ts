import { describe, expect, it } from 'vitest';
import type { HttpReply } from '../../../src/sinks/http-call.ts';
import { classifyAomResponse } from '../../../src/sinks/huawei-aom/outcome-classifier.ts';
import { UNRECOGNISED_ANSWER, type EntryOutcome } from '../../../src/sinks/sink.ts';

const NOW = Date.parse('2026-12-02T10:00:00Z');

function reply(status: number, body: unknown = '', headers: Record<string, string> = {}): HttpReply {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const h = new Headers(headers);
  if (typeof body !== 'string' && !h.has('content-type')) h.set('content-type', 'application/json');
  return { status, headers: h, body: text };
}

const aomError = (code: string, msg: string) => ({
  error_code: code,
  error_msg: msg,
  error_type: 'SC_BAD_REQUEST',
  trace_id: 'f'.repeat(32),
});
const gateway = (code: string, msg: string) => ({ error_code: code, error_msg: msg, request_id: 'e'.repeat(32) });

type Expect = { kind: EntryOutcome['kind']; code?: string; scope?: 'request'; retryAfterMs?: number; throttled?: boolean };

/** Each documented answer (seed 002, PROVIDERS.md Huawei sections) and the undocumented ones. */
const table: [name: string, answer: HttpReply, expected: Expect][] = [
  ['204 with no body (seed: the acceptance)', reply(204), { kind: 'delivered' }],
  [
    '200 with an HTML page',
    reply(200, '<html>Welcome to nginx!</html>', { 'content-type': 'text/html' }),
    { kind: 'retryable', code: UNRECOGNISED_ANSWER },
  ],
  ['200 with no body', reply(200), { kind: 'retryable', code: UNRECOGNISED_ANSWER }],
  [
    '200 with AOM error JSON',
    reply(200, aomError('AOM.0400', 'parse eventParam failed')),
    { kind: 'retryable', code: UNRECOGNISED_ANSWER },
  ],
  ['201 Created', reply(201, {}), { kind: 'retryable', code: UNRECOGNISED_ANSWER }],
  ['202 Accepted', reply(202, {}), { kind: 'retryable', code: UNRECOGNISED_ANSWER }],
  ['204 with a body', reply(204, 'x'), { kind: 'retryable', code: UNRECOGNISED_ANSWER }],
  [
    '400 AOM.0400 (seed): whole-request validation',
    reply(400, aomError('AOM.0400', 'parse eventParam failed')),
    { kind: 'permanent', code: 'AOM.0400', scope: 'request' },
  ],
  [
    '401 APIGW.0301 bad signature (sheet): final',
    reply(401, gateway('APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail')),
    { kind: 'permanent', code: 'APIGW.0301' },
  ],
  [
    '401 APIGW.0301 signature expired (sheet: 15 min window): retried at once',
    reply(
      401,
      gateway(
        'APIGW.0301',
        'Incorrect IAM authentication information: x-sdk-date expired: request time differs from server time by more than 15 minutes',
      ),
    ),
    { kind: 'retryable', code: 'APIGW.0301', retryAfterMs: 0 },
  ],
  [
    '401 APIGW.0307 token expired (sheet corrections): retried at once',
    reply(401, gateway('APIGW.0307', 'The token must be updated')),
    { kind: 'retryable', code: 'APIGW.0307', retryAfterMs: 0 },
  ],
  [
    '400 AOM.0400 from the gateway shape (request_id)',
    reply(400, gateway('AOM.0400', 'parse eventParam failed')),
    { kind: 'permanent', code: 'AOM.0400', scope: 'request' },
  ],
  [
    '400 with an HTML page from a proxy: not AOM, retried',
    reply(400, '<html>400 Bad Request</html>', { 'content-type': 'text/html' }),
    { kind: 'retryable', code: UNRECOGNISED_ANSWER },
  ],
  [
    '400 with a gateway code (not AOM.*): final, not isolated',
    reply(400, gateway('APIGW.0201', 'Request entity too large')),
    { kind: 'permanent', code: 'APIGW.0201' },
  ],
  [
    '403 (seed): final',
    reply(403, gateway('APIGW.0302', 'The IAM user is forbidden in the currently selected region')),
    { kind: 'permanent', code: 'APIGW.0302' },
  ],
  [
    '404 APIGW.0101 no such API: final',
    reply(404, gateway('APIGW.0101', 'The API does not exist or has not been published in the environment')),
    { kind: 'permanent', code: 'APIGW.0101' },
  ],
  [
    '429 APIGW.0308 with Retry-After (sheet): throttled',
    reply(429, gateway('APIGW.0308', 'The throttling threshold has been reached'), { 'retry-after': '2' }),
    { kind: 'retryable', code: 'APIGW.0308', retryAfterMs: 2000, throttled: true },
  ],
  ['429 without a body: throttled', reply(429, 'Too Many Requests'), { kind: 'retryable', throttled: true }],
  ['500 AOM.0500 (seed): retried', reply(500, aomError('AOM.0500', 'internal server error')), { kind: 'retryable', code: 'AOM.0500' }],
  [
    '503 AOM.0503 (seed) with Retry-After: retried',
    reply(503, aomError('AOM.0503', 'service unavailable'), { 'retry-after': '1' }),
    { kind: 'retryable', code: 'AOM.0503', retryAfterMs: 1000 },
  ],
  ['502 HTML from a proxy: retried', reply(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' }), { kind: 'retryable' }],
];

describe('AOM outcome classifier', () => {
  it.each(table)('%s', (_name, answer, want) => {
    const r = classifyAomResponse(answer, 3, NOW);
    expect(r.outcomes).toHaveLength(3);
    for (const o of r.outcomes) {
      expect(o.kind).toBe(want.kind);
      if (want.code && o.kind !== 'delivered') expect(o.code).toBe(want.code);
      if (o.kind === 'permanent') expect(o.scope).toBe(want.scope);
      if (want.retryAfterMs !== undefined && o.kind === 'retryable') expect(o.retryAfterMs).toBe(want.retryAfterMs);
    }
    expect(r.throttled).toBe(want.throttled ?? false);
  });
});
