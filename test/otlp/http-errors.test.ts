import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatus } from '../../src/sources/otlp/codec.ts';
import { ExportLogsServiceResponseType } from '../../src/sources/otlp/proto/schema.ts';
import { startReceiver, type Receiver } from './harness.ts';

const MAX_BODY = 1024 * 1024;

/** A small valid JSON request: one record per body text. */
function jsonRequest(records: Record<string, unknown>[]): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
        scopeLogs: [{ scope: { name: 's' }, logRecords: records }],
      },
    ],
  });
}

const goodJson = jsonRequest([{ severityNumber: 17, body: { stringValue: 'payment failed for order 7' } }]);

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

function jsonOf(bytes: Uint8Array): any {
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

/** Streams `size` bytes with a declared Content-Length, the way a large upload arrives. */
function postLarge(port: number, size: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/logs', method: 'POST', headers: { ...headers, 'content-length': String(size) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('OTLP/HTTP receiver on bad input', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver({ http: { listen: '127.0.0.1:0', max_body: MAX_BODY }, grpc: false });
  });
  afterAll(() => r.stop());

  async function stillServes(): Promise<void> {
    const before = r.intake.committed.length;
    const res = await post(r.httpUrl, goodJson, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(r.intake.committed.length).toBe(before + 1);
  }

  it('answers 400 with a protobuf google.rpc.Status for garbage protobuf', async () => {
    const res = await post(r.httpUrl, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const status = decodeStatus(res.bytes);
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.message).toMatch(/invalid protobuf/);
    await stillServes();
  });

  it('answers 400 with a JSON Status for truncated JSON', async () => {
    const res = await post(r.httpUrl, goodJson.slice(0, goodJson.length - 7), { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(400);
    expect(jsonOf(res.bytes)).toMatchObject({ code: 3, message: expect.stringMatching(/invalid JSON/) });
    await stillServes();
  });

  it('answers 400 for JSON of the wrong shape', async () => {
    const res = await post(r.httpUrl, JSON.stringify({ resourceLogs: 'nope' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(jsonOf(res.bytes).message).toMatch(/resourceLogs must be an array/);
  });

  it('answers 413 for a gzip bomb: a small body that inflates past max_body', async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_BODY * 8, 0x20));
    expect(bomb.length).toBeLessThan(MAX_BODY / 10);
    const res = await post(r.httpUrl, bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(jsonOf(res.bytes).message).toMatch(/decompressed request body exceeds max_body/);
    await stillServes();
  });

  it('answers 400 for a body that claims gzip but is not', async () => {
    const res = await post(r.httpUrl, goodJson, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(jsonOf(res.bytes).message).toMatch(/invalid gzip/);
  });

  it('answers 415 for other content types and encodings', async () => {
    const text = await post(r.httpUrl, goodJson, { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(jsonOf(text.bytes).message).toMatch(/unsupported content type "text\/plain"/);
    const br = await post(r.httpUrl, goodJson, { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(br.status).toBe(415);
    await stillServes();
  });

  it('answers 413 for a 100 MiB body, and keeps serving', async () => {
    const res = await postLarge(r.httpPort, 100 * 1024 * 1024, { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(413);
    expect(res.body).toMatch(/exceeds max_body/);
    await stillServes();
  });

  it('refuses a too large upload announced with Expect: 100-continue before the body is sent', async () => {
    const outcome = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = http.request(
        {
          host: '127.0.0.1',
          port: r.httpPort,
          path: '/v1/logs',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY * 4), expect: '100-continue' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        },
      );
      req.on('continue', () => (continued = true));
      req.on('error', reject);
    });
    expect(outcome).toEqual({ status: 413, continued: false });
    await stillServes();
  });

  it('invites the body of an acceptable request announced with Expect: 100-continue', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: r.httpPort,
          path: '/v1/logs',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(goodJson)), expect: '100-continue' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('continue', () => req.end(goodJson));
      req.on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('answers 413 for a chunked body that grows past max_body', async () => {
    async function* chunks() {
      for (let i = 0; i < 4; i++) yield new Uint8Array(MAX_BODY / 2);
    }
    const res = await fetch(r.httpUrl, {
      method: 'POST',
      body: ReadableStream.from(chunks()),
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    await stillServes();
  });

  it('answers 405 for other methods and 404 for other paths', async () => {
    const get = await fetch(r.httpUrl);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const other = await post(r.httpUrl.replace('/v1/logs', '/v1/traces'), goodJson, { 'content-type': 'application/json' });
    expect(other.status).toBe(404);
  });

  it('returns partial_success (and counts it) when some records are unusable', async () => {
    const rejectedBefore = r.metrics.value('log2events_otlp_records_rejected_total', { source: 'otlp', transport: 'http' });
    const body = jsonRequest([
      { body: { stringValue: 'payment failed for order 1' }, traceId: 'abcd' },
      { body: { stringValue: 'payment failed for order 2' }, traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'EEE19B7EC3C1B174' },
      { body: { intValue: 'not a number' } },
    ]);
    const res = await post(r.httpUrl, body, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const reply = jsonOf(res.bytes);
    expect(reply.partialSuccess.rejectedLogRecords).toBe('2');
    expect(reply.partialSuccess.errorMessage).toMatch(/#0: traceId must be 32 hex digits/);
    expect(reply.partialSuccess.errorMessage).toMatch(/#2: intValue must be an integer/);
    const kept = r.processor.records.at(-1)!;
    expect(kept).toMatchObject({
      body: 'payment failed for order 2',
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
    });
    expect(r.metrics.value('log2events_otlp_records_rejected_total', { source: 'otlp', transport: 'http' })).toBe(rejectedBefore + 2);
    expect(r.metrics.value('log2events_otlp_requests_total', { source: 'otlp', transport: 'http', outcome: 'partial' })).toBe(1);
  });

  it('rejects only the bad record of a request: null array items, ids as byte arrays, bad shapes', async () => {
    const cases: [string, RegExp][] = [
      ['{"body":{"arrayValue":{"values":[null]}}}', /AnyValue must be an object, got null/],
      [`{"traceId":[${Array.from({ length: 16 }, (_, i) => i)}]}`, /traceId must be 32 hex digits, got \[0,1,2/],
      ['{"spanId":[1,2,3,4,5,6,7,8]}', /spanId must be 16 hex digits/],
      ['null', /must be an object, got null/],
      ['{"body":[]}', /AnyValue must be an object/],
      ['{"body":{"kvlistValue":{"values":[{"key":null}]}}}', /attribute key must be a string/],
      ['{"timeUnixNano":{"low":1,"high":2}}', /timeUnixNano must be an integer/],
      ['{"flags":"x"}', /flags must be an integer/],
      ['{"flags":4294967296}', /flags 4294967296 is not a fixed32/],
      ['{"body":{"intValue":"99999999999999999999999999999999"}}', /intValue must be an integer/],
    ];
    for (const [bad, reason] of cases) {
      const body = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"payment failed ok"}},${bad}]}]}]}`;
      const before = r.intake.committed.length;
      const res = await post(r.httpUrl, body, { 'content-type': 'application/json' });
      expect(res.status, bad).toBe(200);
      expect(jsonOf(res.bytes).partialSuccess, bad).toEqual({ rejectedLogRecords: '1', errorMessage: expect.stringMatching(reason) });
      expect(r.intake.committed.length, bad).toBe(before + 1);
    }
  });

  it('accepts integers as decimal text, null as an unset field, and notes a bad container without failing its siblings', async () => {
    const body = JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  severityNumber: '17',
                  flags: '1',
                  traceId: '5b8efff798038103d269b633813fc60c',
                  body: { stringValue: null, boolValue: true },
                },
              ],
            },
          ],
        },
        { scopeLogs: 'nope' },
        null,
      ],
    });
    const res = await post(r.httpUrl, body, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(jsonOf(res.bytes).partialSuccess).toEqual({
      rejectedLogRecords: '0',
      errorMessage: 'resourceLogs[2] must be an object; resourceLogs[1].scopeLogs must be an array',
    });
    expect(r.processor.records.at(-1)).toMatchObject({ severityNumber: 17, traceFlags: 1, body: true });
  });

  it('replies to protobuf in protobuf, with partial_success', async () => {
    const { ExportLogsServiceRequestType } = await import('../../src/sources/otlp/proto/schema.ts');
    const msg = ExportLogsServiceRequestType.fromObject({
      resourceLogs: [
        {
          scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' }, spanId: Buffer.from('0102', 'hex') }, { body: { stringValue: 'y' } }] }],
        },
      ],
    });
    const res = await post(r.httpUrl, ExportLogsServiceRequestType.encode(msg).finish(), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    const reply = ExportLogsServiceResponseType.toObject(ExportLogsServiceResponseType.decode(res.bytes), { longs: Number }) as any;
    expect(reply.partialSuccess).toEqual({ rejectedLogRecords: 1, errorMessage: 'log record #0: spanId must be 8 bytes, got 2' });
  });

  it('answers 429 with Retry-After while the spool is full, then 200 once there is room', async () => {
    r.intake.setFull(2500);
    const full = await post(r.httpUrl, goodJson, { 'content-type': 'application/json' });
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toBe('3');
    expect(jsonOf(full.bytes)).toMatchObject({
      code: 8,
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.500s' }],
    });
    r.intake.setOpen();
    await new Promise((res) => setTimeout(res, 0));
    await stillServes();
  });
});

describe('OTLP/HTTP receiver when the pipeline fails', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver({ grpc: false });
  });
  afterAll(() => r.stop());

  it('counts a record the rules fail on as rejected, and keeps the others', async () => {
    const body = jsonRequest([{ body: { stringValue: 'rule bug here' } }, { body: { stringValue: 'payment failed for order 5' } }]);
    const res = await post(r.httpUrl, body, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(jsonOf(res.bytes).partialSuccess).toEqual({
      rejectedLogRecords: '1',
      errorMessage: expect.stringMatching(/rule evaluation failed: template blew up/),
    });
    expect(r.intake.committed).toHaveLength(1);
  });

  it('answers 500 with a Status when the spool commit throws, and serves on once it recovers', async () => {
    r.intake.setBroken(new Error('disk I/O error'));
    const res = await post(r.httpUrl, goodJson, { 'content-type': 'application/json' });
    expect(res.status).toBe(500);
    expect(jsonOf(res.bytes)).toEqual({ code: 13, message: 'internal error', details: [] });
    expect(r.metrics.value('log2events_otlp_requests_total', { source: 'otlp', transport: 'http', outcome: 'internal' })).toBe(1);
    r.intake.setBroken(undefined);
    expect((await post(r.httpUrl, goodJson, { 'content-type': 'application/json' })).status).toBe(200);
  });
});

describe('OTLP/HTTP receiver authentication', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver({ http: { listen: '127.0.0.1:0', bearer_token: 'tok-123' }, grpc: false });
  });
  afterAll(() => r.stop());

  it('answers 401 without the bearer token and 200 with it', async () => {
    const none = await post(r.httpUrl, goodJson, { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await post(r.httpUrl, goodJson, { 'content-type': 'application/json', authorization: 'Bearer tok-124' });
    expect(wrong.status).toBe(401);
    const ok = await post(r.httpUrl, goodJson, { 'content-type': 'application/json', authorization: 'Bearer tok-123' });
    expect(ok.status).toBe(200);
    expect(r.intake.committed).toHaveLength(1);
  });
});
