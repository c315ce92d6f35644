import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { signRpcV1 } from '../../src/sinks/alibaba/signer.ts';
import { alibabaAcs3Fetch, alibabaRpcFetch, eventInfo, type AlibabaCall, readJson, useEmulator } from './vendor-clients.ts';

let emu: RunningEmulator;
const creds = EMULATOR_CREDENTIALS.alibaba;
const call = (params: Record<string, string>, extra: Partial<AlibabaCall> = {}): AlibabaCall => ({
  accessKeyId: creds.accessKeyId,
  accessKeySecret: creds.accessKeySecret,
  params,
  ...extra,
});

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = await readJson(res);
  expect(body).toMatchObject({ Code: code });
  expect(Object.keys(body).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
  return body as { Message: string };
}

useEmulator((e) => (emu = e));

describe('PutCustomEvent signed by Alibaba openapi-util', () => {
  it('accepts RPC v1 (HMAC-SHA1) with parameters split between query and form body', async () => {
    const res = await alibabaRpcFetch(emu.url, call(eventInfo(2, (i) => ({ Time: '20171013T170923.456+0800', GroupId: String(100 + i) }))));
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({ Code: '200', Message: 'success' });
    expect(body.RequestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(emu.events('alibaba').map((e) => e.event)).toEqual([
      { EventName: 'PaymentFailed', Content: 'payment failed for order 1', Time: '20171013T170923.456+0800', GroupId: '101' },
      { EventName: 'PaymentFailed', Content: 'payment failed for order 2', Time: '20171013T170923.456+0800', GroupId: '102' },
    ]);
  });

  it('rejects RPC v1 when one byte of the body changes, or the secret differs', async () => {
    const tampered = await alibabaRpcFetch(emu.url, call(eventInfo(1), { tamper: (form) => form.replace('order+1', 'order+2') }));
    await expectError(tampered, 400, 'SignatureDoesNotMatch');
    await expectError(await alibabaRpcFetch(emu.url, call(eventInfo(1), { accessKeySecret: 'wrong' })), 400, 'SignatureDoesNotMatch');
    expect(emu.events('alibaba')).toHaveLength(0);
  });

  it('accepts ACS3-HMAC-SHA256 and rejects a changed body or secret', async () => {
    expect((await alibabaAcs3Fetch(emu.url, call(eventInfo(1)))).status).toBe(200);
    await expectError(await alibabaAcs3Fetch(emu.url, call(eventInfo(1), { tamper: (f) => `${f}x` })), 400, 'SignatureDoesNotMatch');
    await expectError(await alibabaAcs3Fetch(emu.url, call(eventInfo(1), { accessKeySecret: 'wrong' })), 400, 'SignatureDoesNotMatch');
    expect(emu.events('alibaba')).toHaveLength(1);
  });

  it('accepts a GET with every parameter in the query, signed by our own signer', async () => {
    const params = signRpcV1({
      method: 'GET',
      params: { Action: 'PutCustomEvent', Version: '2019-01-01', ...eventInfo(1) },
      accessKeyId: creds.accessKeyId,
      accessKeySecret: creds.accessKeySecret,
    });
    const res = await fetch(`${emu.url}/?${new URLSearchParams(params)}`);
    expect(res.status).toBe(200);
  });
});

// Refusals: test/emulator/negative-putcustomevent.test.ts.
describe('PutCustomEvent faults', () => {
  it('throttles in Alibaba form (Throttling.User, HTTP 400) and injects 5xx', async () => {
    emu.setFaults({ alibaba: { throttle: { first: 1, retry_after: '1500ms' } } });
    const throttled = await alibabaRpcFetch(emu.url, call(eventInfo(1)));
    expect(throttled.headers.get('x-acs-retry-after')).toBe('1500');
    await expectError(throttled, 400, 'Throttling.User');
    expect((await alibabaRpcFetch(emu.url, call(eventInfo(1)))).status).toBe(200);
    emu.setFaults({ alibaba: { server_error: { first: 1 } } });
    await expectError(await alibabaRpcFetch(emu.url, call(eventInfo(1))), 500, 'InternalError');
    expect(emu.stats().alibaba).toMatchObject({ throttled: 1, accepted: 1, rejected: { InternalError: 1 } });
  });
});
