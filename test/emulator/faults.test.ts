import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { TokenBucket } from '../../src/emulator/faults.ts';
import { EventLog } from '../../src/emulator/state.ts';
import { huaweiSdkFetch, readJson } from './vendor-clients.ts';

let emu: RunningEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const { ak, sk, projectId, token } = EMULATOR_CREDENTIALS.huawei;
const cesBody = () => [{ event_name: 'diskFull', event_source: 'shop.disk', time: Date.now(), detail: { content: 'disk full' } }];
const postCes = (e: RunningEmulator) => huaweiSdkFetch(e.url, 'POST', `/V1.0/${projectId}/events`, { ak, sk, body: cesBody() });

describe('fault injection', () => {
  it('enforces a per-provider token-bucket quota with the provider throttling answer', async () => {
    emu = await startEmulator({ port: 0, config: { faults: { ces: { quota: { rps: 0.001, burst: 2 } } } } });
    expect((await postCes(emu)).status).toBe(201);
    expect((await postCes(emu)).status).toBe(201);
    const third = await postCes(emu);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await readJson(third)).toMatchObject({ error_code: 'APIGW.0308' });
    // Other providers are not limited by the CES quota.
    const aom = await fetch(`${emu.url}/v2/${projectId}/push/events`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: '{"events":[]}',
    });
    expect(aom.status).toBe(400);
    expect(emu.stats().ces).toMatchObject({ requests: 3, accepted: 2, throttled: 1 });
  });

  it('token bucket refills at the configured rate', () => {
    const bucket = new TokenBucket(10, 1, 0);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
    expect(bucket.take(100)).toBe(0);
  });

  it('resets connections on schedule', async () => {
    emu = await startEmulator({ port: 0, config: { faults: { ces: { reset: { every: 2 } } } } });
    expect((await postCes(emu)).status).toBe(201);
    await expect(postCes(emu)).rejects.toThrow();
    expect((await postCes(emu)).status).toBe(201);
    expect(emu.stats().ces.resets).toBe(1);
  });

  it('probabilistic faults are reproducible for a given seed', async () => {
    const outcomes = async (seed: number) => {
      const e = await startEmulator({ port: 0, config: { seed, faults: { ces: { server_error: { probability: 0.5 } } } } });
      const statuses = [];
      for (let i = 0; i < 12; i++) statuses.push((await postCes(e)).status);
      await e.close();
      return statuses;
    };
    const a = await outcomes(7);
    expect(await outcomes(7)).toEqual(a);
    expect(a).toContain(500);
    expect(a).toContain(201);
  });

  it('adds latency without changing the answer', async () => {
    emu = await startEmulator({ port: 0, config: { faults: { ces: { latency: { min: '5ms', max: '10ms' } } } } });
    expect((await postCes(emu)).status).toBe(201);
  });
});

describe('inspection and runtime control over HTTP', () => {
  it('sets faults at runtime, reports stats by reason and resets', async () => {
    emu = await startEmulator({ port: 0 });
    const set = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ ces: { server_error: { first: 1, status: 503 } } }),
    });
    expect(set.status).toBe(200);
    expect(await readJson(set)).toEqual({ ces: { server_error: { first: 1, status: 503 } } });
    const failed = await postCes(emu);
    expect(failed.status).toBe(503);
    expect(await readJson(failed)).toMatchObject({ http_code: 503, message: { code: 'ces.0008' } });
    expect((await postCes(emu)).status).toBe(201);
    await huaweiSdkFetch(emu.url, 'POST', `/V1.0/${projectId}/events`, { ak, sk: 'bad', body: cesBody() });

    const stats = await readJson(await fetch(`${emu.url}/_emulator/stats`));
    expect(stats.ces).toEqual({ requests: 3, accepted: 1, rejected: { 'ces.0008': 1, 'APIGW.0301': 1 }, throttled: 0, resets: 0 });
    expect(stats.aws.requests).toBe(0);
    const listed = await readJson(await fetch(`${emu.url}/_emulator/events?provider=ces`));
    expect(listed.events).toHaveLength(1);
    expect(listed.events[0]).toMatchObject({ seq: 1, provider: 'ces', event: { event_name: 'diskFull' } });

    expect((await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' })).status).toBe(204);
    expect((await readJson(await fetch(`${emu.url}/_emulator/events?provider=ces`))).events).toEqual([]);
    expect((await readJson(await fetch(`${emu.url}/_emulator/stats`))).ces.requests).toBe(0);
  });

  it('rejects invalid fault settings and unknown providers with a clear message', async () => {
    emu = await startEmulator({ port: 0 });
    const bad = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ ces: { throttle: { probability: 2 } } }),
    });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error).toContain('ces.throttle.probability');
    const unknownKey = await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ ces: { entry_failure: {} } }) });
    expect(unknownKey.status).toBe(400);
    const provider = await fetch(`${emu.url}/_emulator/events?provider=gcp`);
    expect(provider.status).toBe(400);
  });

  it('keeps at most max_stored_events, dropping the oldest', async () => {
    emu = await startEmulator({ port: 0, config: { max_stored_events: 3 } });
    for (let i = 0; i < 5; i++) {
      const body = [{ event_name: `e${i}`, event_source: 'shop.disk', time: Date.now(), detail: {} }];
      expect((await huaweiSdkFetch(emu.url, 'POST', `/V1.0/${projectId}/events`, { ak, sk, body })).status).toBe(201);
    }
    const listed = await readJson(await fetch(`${emu.url}/_emulator/events?provider=ces`));
    expect(listed.dropped).toBe(2);
    expect(listed.events.map((e: { seq: number }) => e.seq)).toEqual([3, 4, 5]);
    const query = await readJson(
      await huaweiSdkFetch(emu.url, 'GET', `/V1.0/${projectId}/events`, { ak, sk, query: { sub_event_type: 'SUB_EVENT.CUSTOM' } }),
    );
    expect(query.events.map((e: { event_name: string }) => e.event_name).sort()).toEqual(['e2', 'e3', 'e4']);
  });

  it('trims the log by events even when requests carry several (lazily built) events', () => {
    const log = new EventLog(3);
    let builds = 0;
    for (let r = 0; r < 3; r++) {
      log.push('aws', r, `req${r}`, 2, () => {
        builds++;
        return [`${r}a`, `${r}b`];
      });
    }
    expect(builds).toBe(0);
    expect(log.list('aws').map((e) => [e.seq, e.event, e.request_id])).toEqual([
      [4, '1b', 'req1'],
      [5, '2a', 'req2'],
      [6, '2b', 'req2'],
    ]);
    expect(log.list('aws', 5).map((e) => e.seq)).toEqual([6]);
    expect(log.dropped('aws')).toBe(3);
    expect(log.list('ces')).toEqual([]);
  });

  it('answers unknown paths with 404 and oversized bodies with 413', async () => {
    emu = await startEmulator({ port: 0, config: { max_body_bytes: '1KiB' } });
    expect((await fetch(`${emu.url}/nothing/here`)).status).toBe(404);
    const big = await fetch(`${emu.url}/V1.0/${projectId}/events`, {
      method: 'POST',
      headers: { 'x-auth-token': token },
      body: 'x'.repeat(2048),
    });
    expect(big.status).toBe(413);
  });
});
