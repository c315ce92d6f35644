import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { huaweiCall } from '../../../src/sinks/huawei/client.ts';
import type { HuaweiAuth, HuaweiCredentialProvider } from '../../../src/sinks/huawei/credential-provider.ts';
import { resolveHuaweiTarget } from '../../../src/sinks/huawei/credentials.ts';
import { SigningClock } from '../../../src/sinks/signing-clock.ts';

/**
 * The Huawei client every Huawei sink calls through: a node whose clock is off signs with the
 * gateway's time once it has answered, and an expired token is renewed.
 */
const HW = EMULATOR_CREDENTIALS.huawei;
const body = (now: number) =>
  JSON.stringify([{ event_name: 'OrderFailed', event_source: 'shop.orders', time: now, detail: { content: 'x' } }]);

describe.each(['20m', '-20m'])('huaweiCall against a gateway whose clock is %s off', (offset) => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, config: { clock_offset: offset } });
  });
  afterAll(() => emu.close());

  it('is refused as signature expired once, learns the gateway clock from Date, then gets through', async () => {
    const target = resolveHuaweiTarget(
      'ces',
      { project_id: HW.projectId, credentials: { ak: HW.ak, sk: HW.sk } },
      { emulator: { url: emu.url, credentials: EMULATOR_CREDENTIALS } },
    );
    const path = `/V1.0/${HW.projectId}/events`;
    const first = await huaweiCall(
      target,
      { method: 'GET', path, query: { sub_event_type: 'SUB_EVENT.CUSTOM' } },
      1,
      AbortSignal.timeout(10_000),
    );
    expect(first.ok && first.reply.status).toBe(401);
    expect(first.ok && first.reply.body).toMatch(/APIGW\.0301.*signature expired/);
    const expected = offset.startsWith('-') ? -20 * 60_000 : 20 * 60_000;
    expect(Math.abs(target.clock.offset - expected)).toBeLessThan(5_000);
    const second = await huaweiCall(target, { method: 'POST', path, body: body(target.clock.now()) }, 1, AbortSignal.timeout(10_000));
    expect(second.ok && second.reply.status).toBe(201);
  });
});

describe('huaweiCall with an expired token', () => {
  it('drops the credential in hand on APIGW.0307, so the next call asks for a new one', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers['x-auth-token']));
      if (req.headers['x-auth-token'] === 'old')
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"error_code":"APIGW.0307","error_msg":"The token must be updated.","request_id":"r"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"events":[],"meta_data":{"total":0}}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    const tokens = ['old', 'new'];
    let current: HuaweiAuth | undefined;
    const auth: HuaweiCredentialProvider = {
      source: 'test',
      get: async () => (current ??= { kind: 'token', token: tokens.shift()! }),
      invalidate: () => {
        current = undefined;
      },
    };
    const target = { endpoint: `http://127.0.0.1:${port}`, projectId: 'p', auth, clock: new SigningClock() };
    const first = await huaweiCall(target, { method: 'GET', path: '/V1.0/p/events' }, 1, AbortSignal.timeout(10_000));
    expect(first.ok && first.reply.status).toBe(401);
    const second = await huaweiCall(target, { method: 'GET', path: '/V1.0/p/events' }, 1, AbortSignal.timeout(10_000));
    expect(second.ok && second.reply.status).toBe(200);
    expect(seen).toEqual(['old', 'new']);
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });
});
