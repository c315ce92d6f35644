import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS } from '../../src/emulator/index.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { cmsConfig, type CmsConfigOptions, deadLetters, linesOf, requestSizes, useEmulator } from './cloud-harness.ts';

/** The Alibaba CloudMonitor sink, driven through a real `log2events run` process against the emu.em. */
const emu = useEmulator();

const ALI = EMULATOR_CREDENTIALS.alibaba;
const GOOD = `credentials: { access_key_id: ${ALI.accessKeyId}, access_key_secret: "${ALI.accessKeySecret}" }`;

function config(dir: string, o: Omit<CmsConfigOptions, 'endpoint'> = {}): string {
  return cmsConfig(dir, { endpoint: emu.em.url, auth: GOOD, ...o });
}

const lines = (n: number) => linesOf(n, (i) => `ERROR order ${i} failed`);


const contentOf = (c: string) => JSON.parse(c) as Record<string, unknown>;


describe('alibaba_cms sink', () => {
  it('sends 120 events as PutCustomEvent requests of 50, 50 and 20 with the EventInfo fields (RPC v1 signature)', async () => {
    const s = scratchDir();
    const before = Date.now();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: lines(120) });
    expect(r.code, r.stderr).toBe(0);
    expect(requestSizes(emu.em, 'alibaba')).toEqual([50, 50, 20]);
    const first = emu.em.events('alibaba')[0]!.event;
    expect(first).toMatchObject({ EventName: 'OrderFailed', GroupId: '0' });
    expect(Number(first.Time)).toBeGreaterThanOrEqual(before - 1000);
    expect(contentOf(first.Content)).toMatchObject({
      content: 'order 1 failed',
      severity: 'Major',
      state: 'incident',
      action: 'raise',
      source: 'shop.orders',
      key: 'OrderFailed|order-1',
      rule: 'orders',
      resource: { id: 'order-1' },
      attributes: { order: '1' },
    });
    s.cleanup();
  });

  it('signs with ACS3-HMAC-SHA256 when asked, and takes group_id from the config', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { extra: 'signature: acs3\n    group_id: "123456"' })), '--once'], { input: lines(3) });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.events('alibaba').map((e) => e.event.GroupId)).toEqual(['123456', '123456', '123456']);
    s.cleanup();
  });

  it('rides out throttling (50% Throttling.User, HTTP 400 with x-acs-retry-after): everything arrives, nothing dead-lettered', async () => {
    emu.em.setFaults({ alibaba: { throttle: { probability: 0.5, retry_after: '100ms' } } });
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { batch: '{ linger: 20ms, max_entries: 5 }', concurrency: 8 }));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(20) });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.stats().alibaba.throttled).toBeGreaterThan(0);
    expect(new Set(emu.em.events('alibaba').map((e) => contentOf(e.event.Content).content)).size).toBe(20);
    expect(await deadLetters(file)).toEqual([]);
    s.cleanup();
  });

  it('retries InternalError (HTTP 500) until the request goes through', async () => {
    emu.em.setFaults({ alibaba: { server_error: { first: 2 } } });
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: lines(3) });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.stats().alibaba).toMatchObject({ requests: 3, accepted: 3, rejected: { InternalError: 2 } });
    s.cleanup();
  });

  it('dead-letters after one attempt when the secret is wrong (SignatureDoesNotMatch), and dlq replay delivers once fixed', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { auth: `credentials: { access_key_id: ${ALI.accessKeyId}, access_key_secret: wrong }` }));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(3) });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.stats().alibaba.requests).toBe(1);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(3);
    for (const d of dead) {
      expect(d).toMatchObject({ code: 'SignatureDoesNotMatch', attempts: 1 });
      expect(d.message).toMatch(/signature is not matched/);
    }
    s.write('c.yaml', config(s.dir));
    expect((await runCli(['dlq', 'replay', '-c', file])).code).toBe(0);
    expect((await runCli(['run', '-c', file, '--once'], { input: '' })).code).toBe(0);
    expect(emu.em.events('alibaba').map((e) => contentOf(e.event.Content).content).sort()).toEqual(['order 1 failed', 'order 2 failed', 'order 3 failed']);
    s.cleanup();
  });

  it('dead-letters what CloudMonitor refuses (60 events per request where it takes 50) with its message', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { batch: '{ linger: 200ms, max_entries: 60 }' }));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(60) });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.stats().alibaba).toMatchObject({ requests: 1, accepted: 0, rejected: { InvalidParameter: 1 } });
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(60);
    expect(dead[0]).toMatchObject({ code: 'InvalidParameter', attempts: 1 });
    expect(dead[0]!.message).toMatch(/EventInfo\.51 is out of range: N must be 1 to 50/);
    s.cleanup();
  });

  it('takes ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET from the environment', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { auth: '' })), '--once'], {
      input: lines(2),
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: ALI.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: ALI.accessKeySecret },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.events('alibaba')).toHaveLength(2);
    s.cleanup();
  });

  it('refuses batch.max_entries above 100 at config load', async () => {
    const s = scratchDir();
    const r = await runCli(['validate', '-c', s.write('c.yaml', config(s.dir, { batch: '{ max_entries: 101 }' }))]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/PutCustomEvent takes at most 100 events per request/);
    s.cleanup();
  });
});
