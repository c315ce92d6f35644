import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { alibabaAcs3Fetch, alibabaRpcFetch, eventInfo, OpenApiUtil, readJson, useEmulator } from './vendor-clients.ts';

/**
 * PutCustomEvent requests CloudMonitor refuses, each signed by Alibaba's own
 * @alicloud/openapi-util (getRPCSignature for RPC v1, getAuthorization for ACS3-HMAC-SHA256), and
 * the status and Code the emulator answers, with where each expectation comes from:
 * - [API ref]   PutCustomEvent API reference (seeds/000): EventName, Content required; N 1-50;
 *               Time `yyyyMMddTHHmmss.SSSZ` or epoch ms; errors 400/403/404 `%s`, 500 InternalError;
 * - [metadata]  CMS 2019-01-01 API metadata: EventInfo `maxItems: 50`, group ids int64;
 * - [guide]     user guide (PROVIDERS.md): 500 KB per request;
 * - [common]    Alibaba's common error codes for signatures, timestamps, nonces and keys
 *               (PROVIDERS.md lists SignatureNonceUsed, InvalidTimeStamp.Expired,
 *               SignatureDoesNotMatch, InvalidAccessKeyId.NotFound as final).
 * The error body is always `{RequestId, HostId, Code, Message, Recommend}` and nothing is stored.
 */
let emu: RunningEmulator;
useEmulator((e) => (emu = e));

const creds = EMULATOR_CREDENTIALS.alibaba;

/** RPC v1 with every common parameter in our hands (openapi-util signs what we give it). */
async function rpc(
  common: Record<string, string | undefined>,
  params: Record<string, string>,
  opts: { unsigned?: boolean; secret?: string } = {},
): Promise<Response> {
  const query: Record<string, string> = {};
  const base: Record<string, string | undefined> = {
    Action: 'PutCustomEvent',
    Format: 'JSON',
    Version: '2019-01-01',
    Timestamp: OpenApiUtil.getTimestamp(),
    SignatureNonce: randomUUID(),
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    AccessKeyId: creds.accessKeyId,
    ...common,
  };
  for (const [k, v] of Object.entries(base)) if (v !== undefined) query[k] = v;
  if (!opts.unsigned) query.Signature = OpenApiUtil.getRPCSignature({ ...query, ...params }, 'POST', opts.secret ?? creds.accessKeySecret);
  return fetch(`${emu.url}/?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

const call = (params: Record<string, string>, extra = {}) => ({
  accessKeyId: creds.accessKeyId,
  accessKeySecret: creds.accessKeySecret,
  params,
  ...extra,
});
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const without = (p: Record<string, string>, key: string) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== key));
/** n events whose encoded form body is just over 500,000 bytes. */
const oversized = () => eventInfo(10, () => ({ Content: 'x'.repeat(50_100) }));

interface Case {
  name: string;
  /** A request that must go first (and be accepted). */
  setup?: () => Promise<void>;
  send: () => Promise<Response>;
  status: number;
  code: string;
  source: string;
}

const cases: Case[] = [
  {
    name: '51 events',
    send: () => rpc({}, eventInfo(51)),
    status: 400,
    code: 'InvalidParameter',
    source: '[API ref] N 1-50; [metadata] maxItems 50',
  },
  {
    name: 'EventInfo.0',
    send: () => rpc({}, { 'EventInfo.0.EventName': 'A', 'EventInfo.0.Content': 'c' }),
    status: 400,
    code: 'InvalidParameter',
    source: '[API ref] N from 1',
  },
  { name: 'no EventInfo at all', send: () => rpc({}, {}), status: 400, code: 'MissingEventInfo', source: '[API ref] EventInfo required' },
  {
    name: 'EventInfo.2 without Content',
    send: () => rpc({}, without(eventInfo(2), 'EventInfo.2.Content')),
    status: 400,
    code: 'MissingEventInfo.2.Content',
    source: '[API ref] Content required',
  },
  {
    name: 'EventInfo.1 without EventName',
    send: () => rpc({}, without(eventInfo(1), 'EventInfo.1.EventName')),
    status: 400,
    code: 'MissingEventInfo.1.EventName',
    source: '[API ref] EventName required',
  },
  {
    name: 'empty EventName (ACS3)',
    send: () => alibabaAcs3Fetch(emu.url, call(eventInfo(1, () => ({ EventName: '' })))),
    status: 400,
    code: 'MissingEventInfo.1.EventName',
    source: '[metadata] required: an empty value is no value',
  },
  {
    name: 'Time not in either format',
    send: () =>
      rpc(
        {},
        eventInfo(1, () => ({ Time: '2017-10-13 17:09:23' })),
      ),
    status: 400,
    code: 'InvalidParameter',
    source: '[API ref] Time format',
  },
  {
    name: 'Time of month 13',
    send: () =>
      rpc(
        {},
        eventInfo(1, () => ({ Time: '20171313T170923.456+0800' })),
      ),
    status: 400,
    code: 'InvalidParameter',
    source: '[API ref] Time is a date',
  },
  {
    name: 'GroupId not a number',
    send: () =>
      rpc(
        {},
        eventInfo(1, () => ({ GroupId: 'shop' })),
      ),
    status: 400,
    code: 'InvalidParameter',
    source: '[API ref] GroupId; [metadata] group ids int64',
  },
  {
    name: 'request over 500 KB (RPC v1)',
    send: () => rpc({}, oversized()),
    status: 400,
    code: 'InvalidParameter',
    source: '[guide] 500 KB per request',
  },
  {
    name: 'request over 500 KB (ACS3)',
    send: () => alibabaAcs3Fetch(emu.url, call(oversized())),
    status: 400,
    code: 'InvalidParameter',
    source: '[guide] 500 KB per request',
  },
  {
    name: 'another Action',
    send: () => rpc({ Action: 'DescribeMetricList' }, eventInfo(1)),
    status: 404,
    code: 'InvalidAction.NotFound',
    source: '[API ref] 404 %s; [common] InvalidAction.NotFound',
  },
  {
    name: 'another Version',
    send: () => rpc({ Version: '2018-03-08' }, eventInfo(1)),
    status: 400,
    code: 'InvalidVersion',
    source: '[common] InvalidVersion',
  },
  {
    name: 'no Signature',
    send: () => rpc({}, eventInfo(1), { unsigned: true }),
    status: 400,
    code: 'MissingSignature',
    source: '[common] MissingSignature',
  },
  {
    name: 'SignatureMethod HMAC-SHA256 in RPC v1',
    send: () => rpc({ SignatureMethod: 'HMAC-SHA256' }, eventInfo(1)),
    status: 400,
    code: 'IncompleteSignature',
    source: '[common] IncompleteSignature',
  },
  {
    name: 'no SignatureNonce',
    send: () => rpc({ SignatureNonce: undefined }, eventInfo(1)),
    status: 400,
    code: 'IncompleteSignature',
    source: '[common] IncompleteSignature',
  },
  {
    name: 'wrong secret (RPC v1)',
    send: () => rpc({}, eventInfo(1), { secret: 'wrong' }),
    status: 400,
    code: 'SignatureDoesNotMatch',
    source: '[common] SignatureDoesNotMatch',
  },
  {
    name: 'body changed after signing (ACS3)',
    send: () => alibabaAcs3Fetch(emu.url, call(eventInfo(1), { tamper: (f: string) => `${f}0` })),
    status: 400,
    code: 'SignatureDoesNotMatch',
    source: '[common] SignatureDoesNotMatch; x-acs-content-sha256 covers the body',
  },
  {
    name: 'unknown AccessKeyId',
    send: () => rpc({ AccessKeyId: 'LTAIunknown00000000' }, eventInfo(1)),
    status: 404,
    code: 'InvalidAccessKeyId.NotFound',
    source: '[common] InvalidAccessKeyId.NotFound 404',
  },
  {
    name: 'Timestamp 16 minutes old (RPC v1)',
    send: () => rpc({ Timestamp: minutesAgo(16) }, eventInfo(1)),
    status: 400,
    code: 'InvalidTimeStamp.Expired',
    source: '[common] InvalidTimeStamp.Expired, 15 min',
  },
  {
    name: 'x-acs-date 16 minutes old (ACS3)',
    send: () => alibabaAcs3Fetch(emu.url, call(eventInfo(1), { timestamp: minutesAgo(16) })),
    status: 400,
    code: 'InvalidTimeStamp.Expired',
    source: '[common] InvalidTimeStamp.Expired, 15 min',
  },
  {
    name: 'Timestamp not yyyy-MM-ddTHH:mm:ssZ',
    send: () => rpc({ Timestamp: '2026-12-02 10:00:00' }, eventInfo(1)),
    status: 400,
    code: 'InvalidTimeStamp.Format',
    source: '[common] InvalidTimeStamp.Format',
  },
  {
    name: 'nonce used twice',
    setup: async () => expect((await rpc({ SignatureNonce: 'nonce-once' }, eventInfo(1))).status).toBe(200),
    send: () => rpc({ SignatureNonce: 'nonce-once' }, eventInfo(1)),
    status: 400,
    code: 'SignatureNonceUsed',
    source: '[common] SignatureNonceUsed',
  },
];

describe('PutCustomEvent refusals, signed by @alicloud/openapi-util', () => {
  it('has at least 15 invalid requests', () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases)('$name → $status $code ($source)', async (c) => {
    await c.setup?.();
    const before = emu.events('alibaba').length;
    const res = await c.send();
    const body = await readJson(res);
    expect({ status: res.status, code: body.Code }).toEqual({ status: c.status, code: c.code });
    expect(Object.keys(body).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    expect(body.Message.length).toBeGreaterThan(0);
    expect(emu.events('alibaba')).toHaveLength(before);
  });

  it("an expired timestamp is answered with the provider's time in the Date header", async () => {
    const res = await rpc({ Timestamp: minutesAgo(16) }, eventInfo(1));
    expect(res.status).toBe(400);
    expect(Math.abs(Date.parse(res.headers.get('date') ?? '') - Date.now())).toBeLessThan(60_000);
  });

  it('the boundaries are accepted: 50 events, a request just under 500 KB, both Time forms, GroupId 0', async () => {
    expect((await rpc({}, eventInfo(50))).status).toBe(200);
    expect(
      (
        await rpc(
          {},
          eventInfo(10, () => ({ Content: 'x'.repeat(49_000) })),
        )
      ).status,
    ).toBe(200);
    const times = eventInfo(2, (i) => ({ Time: i === 1 ? '20171013T170923.456+0800' : '1552199984000', GroupId: '0' }));
    expect((await alibabaAcs3Fetch(emu.url, call(times))).status).toBe(200);
    expect(emu.events('alibaba')).toHaveLength(62);
  });
});

describe('PutCustomEvent against a provider clock 20 minutes ahead', () => {
  let ahead: RunningEmulator;
  useEmulator((e) => (ahead = e), { clock_offset: '20m' });

  it('refuses a request signed now as expired, and says its own time in the Date header', async () => {
    const res = await alibabaRpcFetch(ahead.url, call(eventInfo(1)));
    expect(res.status).toBe(400);
    expect((await readJson(res)).Code).toBe('InvalidTimeStamp.Expired');
    const skew = Date.parse(res.headers.get('date') ?? '') - Date.now();
    expect(Math.abs(skew - 20 * 60_000)).toBeLessThan(60_000);
  });
});
