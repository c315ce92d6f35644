import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { NodeSha256 } from '../../src/emulator/sigv4.ts';
import { PUT_EVENTS_TARGET, type PutEventsEntry } from '../../src/sinks/aws-eventbridge/wire.ts';
import { readJson, useEmulator } from './vendor-clients.ts';

/**
 * PutEvents refuses what AWS documents it refuses. Every request is signed with
 * @smithy/signature-v4 (the AWS SDK's own signer) and each row names the source of its answer:
 * - seed: ../shared/seeds/003 (PutEvents API reference: 1–10 entries, DetailType ≤ 128);
 * - botocore: botocore/data/events/2015-10-07/service-2.json (PutEventsRequestEntry and the
 *   shapes NonPartnerEventBusNameOrArn, TraceHeader, EventResource; "a request in which none of
 *   the entries have each of these properties … fails the entire request");
 * - sheet: PROVIDERS.md (entry-size rule, 1 MB limit, signature errors as HTTP 400 in JSON 1.1
 *   services, clock skew, December 2026 corrections);
 * - common: EventBridge API reference, Common Errors (MissingAuthenticationToken 403,
 *   IncompleteSignature 400);
 * - skew: AWS's own answer as quoted in public reports (remind101/logspout-kinesis#21,
 *   s12v/awsbeats#48): 400 InvalidSignatureException "Signature expired: … (… - 5 min.)" /
 *   "Signature not yet current: … (… + 5 min.)".
 */
let emu: RunningEmulator;
useEmulator((e) => (emu = e));

const creds = EMULATOR_CREDENTIALS.aws;
const entry = (o: Partial<PutEventsEntry> = {}): PutEventsEntry => ({
  Time: 1_700_000_000,
  Source: 'shop.orders',
  DetailType: 'OrderFailed',
  Detail: '{"order":1}',
  ...o,
});
const body = (...entries: PutEventsEntry[]) => ({ Entries: entries });

interface Call {
  /** The JSON body (serialised), or raw text. */
  body: unknown;
  raw?: boolean;
  target?: string;
  secret?: string;
  accessKeyId?: string;
  region?: string;
  /** Signing clock this far from the emulator's (ms). */
  clockOffsetMs?: number;
  /** Changes the body after signing. */
  tamper?: (text: string) => string;
  /** Replaces the signed Authorization header. */
  authorization?: string | null;
}

/** Signs a PutEvents call with @smithy/signature-v4 as the SDK does, and sends it. */
async function call(c: Call): Promise<Response> {
  const url = new URL(emu.url);
  let text = c.raw ? String(c.body) : JSON.stringify(c.body);
  const signer = new SignatureV4({
    credentials: { accessKeyId: c.accessKeyId ?? creds.accessKeyId, secretAccessKey: c.secret ?? creds.secretAccessKey },
    region: c.region ?? creds.region,
    service: 'events',
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': c.target ?? PUT_EVENTS_TARGET },
      body: text,
    },
    { signingDate: new Date(Date.now() + (c.clockOffsetMs ?? 0)) },
  );
  const headers: Record<string, string> = { ...signed.headers };
  delete headers.host;
  if (c.authorization === null) delete headers.authorization;
  else if (c.authorization !== undefined) headers.authorization = c.authorization;
  if (c.tamper) text = c.tamper(text);
  return fetch(emu.url, { method: 'POST', headers, body: text });
}

type Row = [name: string, request: Call, status: number, code: string, source: string, message?: RegExp];

const big = (bytes: number) => entry({ Detail: JSON.stringify({ p: 'x'.repeat(bytes) }) });

const rows: Row[] = [
  // Authentication
  [
    'a wrong secret',
    { body: body(entry()), secret: 'not-the-secret' },
    400,
    'InvalidSignatureException',
    'sheet: bad signature is HTTP 400 in JSON 1.1 services',
    /signature we calculated does not match/,
  ],
  [
    'an unknown access key',
    { body: body(entry()), accessKeyId: 'AKIDUNKNOWN000000000' },
    400,
    'UnrecognizedClientException',
    'sheet: UnrecognizedClientException, HTTP 400 in JSON 1.1 services',
    /security token included in the request is invalid/,
  ],
  [
    'a credential scoped to another region',
    { body: body(entry()), region: 'eu-west-1' },
    400,
    'InvalidSignatureException',
    'sheet: bad signature is HTTP 400',
    /scoped to a valid region/,
  ],
  [
    'the body changed after signing',
    { body: body(entry()), tamper: (t) => t.replace('OrderFailed', 'OrderFailes') },
    400,
    'InvalidSignatureException',
    'sheet: the signature covers the body hash',
    /does not match/,
  ],
  [
    'no Authorization header',
    { body: body(entry()), authorization: null },
    403,
    'MissingAuthenticationTokenException',
    'common: MissingAuthenticationToken, HTTP 403',
    /Missing Authentication Token/,
  ],
  [
    'an Authorization header without SignedHeaders',
    { body: body(entry()), authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/20261202/us-east-1/events/aws4_request` },
    400,
    'IncompleteSignatureException',
    'common: IncompleteSignature, HTTP 400',
  ],
  [
    'signed 6 minutes behind the server clock',
    { body: body(entry()), clockOffsetMs: -6 * 60_000 },
    400,
    'InvalidSignatureException',
    'skew: 5 min tolerance',
    /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
  ],
  [
    'signed 6 minutes ahead of the server clock',
    { body: body(entry()), clockOffsetMs: 6 * 60_000 },
    400,
    'InvalidSignatureException',
    'skew: 5 min tolerance',
    /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/,
  ],
  // The operation and the body
  [
    'an operation that is not PutEvents',
    { body: body(entry()), target: 'AWSEvents.DeleteEverything' },
    400,
    'UnknownOperationException',
    'botocore: metadata.targetPrefix AWSEvents, operations',
  ],
  ['a body that is not JSON', { body: '{"Entries":[', raw: true }, 400, 'SerializationException', 'botocore: protocol json'],
  ['Entries missing', { body: {} }, 400, 'ValidationException', 'botocore: PutEventsRequest.required Entries', /must not be null/],
  [
    'Entries empty',
    { body: body() },
    400,
    'ValidationException',
    'seed / botocore: PutEventsRequestEntryList min 1',
    /greater than or equal to 1/,
  ],
  [
    '11 entries',
    { body: body(...Array.from({ length: 11 }, () => entry())) },
    400,
    'ValidationException',
    'seed / botocore: PutEventsRequestEntryList max 10',
    /less than or equal to 10/,
  ],
  [
    'Time as a string',
    { body: body(entry({ Time: '2026-12-02T10:00:00Z' as unknown as number })) },
    400,
    'SerializationException',
    'botocore: EventTime is a timestamp (epoch seconds in JSON 1.1)',
  ],
  // Model constraints on the request as a whole
  [
    'an EventBusName with a space',
    { body: body(entry({ EventBusName: 'my bus' })) },
    400,
    'ValidationException',
    'botocore: NonPartnerEventBusNameOrArn pattern',
    /entries\.1\.member\.eventBusName.*regular expression/,
  ],
  [
    'an EventBusName ARN of another service',
    { body: body(entry({ EventBusName: 'arn:aws:sqs:us-east-1:123456789012:q' })) },
    400,
    'ValidationException',
    'botocore: NonPartnerEventBusNameOrArn pattern',
  ],
  [
    'an EventBusName of 1601 characters',
    { body: body(entry(), entry({ EventBusName: 'b'.repeat(1601) })) },
    400,
    'ValidationException',
    'botocore: NonPartnerEventBusNameOrArn 1–1600',
    /entries\.2\.member\.eventBusName.*between 1 and 1600/,
  ],
  [
    'a TraceHeader of 501 characters',
    { body: body(entry({ TraceHeader: 't'.repeat(501) })) },
    400,
    'ValidationException',
    'botocore: TraceHeader 1–500',
    /traceHeader/,
  ],
  [
    'a Resources item of 2049 characters',
    { body: body(entry({ Resources: ['r'.repeat(2049)] })) },
    400,
    'ValidationException',
    'botocore: EventResource max 2048',
    /resources\.1\.member/,
  ],
  [
    'entries over 1 MiB in total',
    { body: body(big(600 * 1024), big(500 * 1024)) },
    400,
    'ValidationException',
    'sheet: entry-size rule, 1 MB in the aws partition',
    /over the limit/,
  ],
  [
    'no entry with Source, DetailType and Detail',
    { body: body(entry({ Source: undefined }), entry({ Detail: undefined })) },
    400,
    'ValidationException',
    'botocore: none of the entries have each of these properties → the entire request fails',
  ],
];

describe('PutEvents negative matrix (signed with @smithy/signature-v4)', () => {
  it.each(rows)('%s → HTTP %i %s (%s)', async (_name, request, status, code, _source, message) => {
    const res = await call(request);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-amzn-errortype')).toBe(code);
    expect(res.headers.get('date')).toBeTruthy();
    const json = await readJson(res);
    expect(json.__type).toBe(code);
    if (message) expect(json.message).toMatch(message);
    expect(emu.events('aws')).toHaveLength(0);
  });

  it('accepts the same signed request when nothing is wrong (the matrix is not refusing everything)', async () => {
    const res = await call({
      body: body(
        entry(),
        entry({
          EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/orders',
          TraceHeader: 'Root=1-abc',
          Resources: ['arn:aws:s3:::b'],
        }),
      ),
    });
    expect(res.status).toBe(200);
    expect((await readJson(res)).FailedEntryCount).toBe(0);
    expect(emu.events('aws')).toHaveLength(2);
  });
});

/** Per-entry refusals come inside a 200, index-aligned; the valid neighbours are accepted. */
const entryRows: [name: string, bad: PutEventsEntry, code: string, source: string][] = [
  ['no Source', entry({ Source: undefined }), 'InvalidArgument', 'botocore: Source required, "EventBridge fails that entry"'],
  ['no DetailType', entry({ DetailType: undefined }), 'InvalidArgument', 'botocore: DetailType required'],
  ['no Detail', entry({ Detail: undefined }), 'InvalidArgument', 'botocore: Detail required'],
  ['a DetailType of 129 characters', entry({ DetailType: 'd'.repeat(129) }), 'InvalidArgument', 'seed / botocore: DetailType ≤ 128'],
  [
    'a Detail that is a JSON list',
    entry({ Detail: '[1,2]' }),
    'MalformedDetail',
    'botocore: Detail is a valid JSON object; MalformedDetail',
  ],
  ['a Detail that is not JSON', entry({ Detail: 'not json' }), 'MalformedDetail', 'botocore: MalformedDetail'],
  [
    'a Source in the aws. namespace',
    entry({ Source: 'aws.ec2' }),
    'NotAuthorizedForSourceException',
    'botocore: NotAuthorizedForSourceException',
  ],
];

describe('PutEvents per-entry refusals inside a 200', () => {
  it.each(entryRows)('%s → %s (%s)', async (_name, bad, code) => {
    const res = await call({ body: body(entry(), bad, entry()) });
    expect(res.status).toBe(200);
    const json = await readJson(res);
    expect(json.FailedEntryCount).toBe(1);
    expect(json.Entries[0].EventId).toBeTruthy();
    expect(json.Entries[1]).toMatchObject({ ErrorCode: code });
    expect(json.Entries[2].EventId).toBeTruthy();
    expect(emu.events('aws')).toHaveLength(2);
  });
});
