import { describe, expect, it } from 'vitest';
import { signHuaweiRequest } from '../../src/sinks/huawei/signer.ts';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { huaweiSdkFetch, readJson, useEmulator } from './vendor-clients.ts';

let emu: RunningEmulator;
const { ak, sk, projectId, token } = EMULATOR_CREDENTIALS.huawei;
const eventsPath = `/V1.0/${projectId}/events`;

interface CesEventInput {
  event_name: string;
  event_source: string;
  time: number;
  detail: Record<string, unknown>;
}

const cesEvent = (overrides: Partial<CesEventInput> = {}, detail: Record<string, unknown> = {}): CesEventInput => ({
  event_name: 'systemInvaded',
  event_source: 'financial.System',
  time: Date.now(),
  detail: {
    content: 'The financial system was invaded',
    resource_id: '1234567890sjgggad',
    resource_name: 'ecs001',
    event_state: 'normal',
    event_level: 'Major',
    event_user: 'xiaokong',
    ...detail,
  },
  ...overrides,
});

const post = (body: unknown, opts: { sk?: string; tamper?: (t: string) => string } = {}) =>
  huaweiSdkFetch(emu.url, 'POST', eventsPath, { ak, sk: opts.sk ?? sk, body, ...(opts.tamper ? { tamper: opts.tamper } : {}) });

const get = (path: string, query?: Record<string, string>) => huaweiSdkFetch(emu.url, 'GET', path, { ak, sk, ...(query ? { query } : {}) });

async function expectCesError(res: Response, details: string | RegExp) {
  expect(res.status).toBe(400);
  const body = await readJson(res);
  expect(body).toMatchObject({ http_code: 400, message: { code: 'ces.0014' } });
  expect(body.message.details).toMatch(details);
}

useEmulator((e) => (emu = e));

describe('Cloud Eye CreateEvents with Huawei AKSKSigner', () => {
  it('returns 201 with an event_id per event', async () => {
    const res = await post([cesEvent(), cesEvent({ event_name: 'systemParalysis' })]);
    expect(res.status).toBe(201);
    const body = (await readJson(res)) as Array<{ event_id: string; event_name: string }>;
    expect(body.map((e) => e.event_name)).toEqual(['systemInvaded', 'systemParalysis']);
    for (const e of body) expect(e.event_id).toMatch(/^ev[a-z0-9]{21}$/);
    expect(emu.events('ces').map((e) => e.event.event_id)).toEqual(body.map((e) => e.event_id));
  });

  it('rejects a changed body byte or a wrong secret with APIGW.0301 (401)', async () => {
    for (const res of [
      await post([cesEvent()], { tamper: (t) => t.replace('invaded', 'invadeD') }),
      await post([cesEvent()], { sk: 'wrong-secret' }),
    ]) {
      expect(res.status).toBe(401);
      const body = await readJson(res);
      expect(body).toMatchObject({ error_code: 'APIGW.0301' });
      expect(body.request_id).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(emu.events('ces')).toHaveLength(0);
  });

  it('refuses a request signed more than 15 minutes off the server clock', async () => {
    const body = JSON.stringify([cesEvent()]);
    const send = async (date: Date) => {
      const { host: _h, ...headers } = signHuaweiRequest({
        method: 'POST',
        url: `${emu.url}${eventsPath}`,
        headers: { 'content-type': 'application/json' },
        body,
        ak,
        sk,
        date,
      });
      return fetch(`${emu.url}${eventsPath}`, { method: 'POST', headers, body });
    };
    expect((await send(new Date(Date.now() - 14 * 60_000))).status).toBe(201);
    const stale = await send(new Date(Date.now() - 16 * 60_000));
    expect(stale.status).toBe(401);
    expect((await readJson(stale)).error_msg).toContain('expired');
  });

  it('accepts the configured X-Auth-Token and refuses another', async () => {
    const send = (t: string) =>
      fetch(`${emu.url}${eventsPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': t },
        body: JSON.stringify([cesEvent()]),
      });
    expect((await send(token)).status).toBe(201);
    const bad = await send('some-other-token');
    expect(bad.status).toBe(401);
    expect(await readJson(bad)).toMatchObject({ error_code: 'APIGW.0301' });
  });

  it('treats identical events as one (dedupe) and returns the same id', async () => {
    const e = cesEvent({ time: Date.now() - 1000 });
    const first = (await readJson(await post([e]))) as Array<{ event_id: string }>;
    const again = (await readJson(await post([e, { ...e, detail: { ...e.detail, content: 'other content' } }]))) as Array<{
      event_id: string;
    }>;
    expect(again[0]!.event_id).toBe(first[0]!.event_id);
    // content is not one of the identifying fields either
    expect(again[1]!.event_id).toBe(first[0]!.event_id);
    const differentUser = (await readJson(await post([{ ...e, detail: { ...e.detail, event_user: 'xihong' } }]))) as Array<{
      event_id: string;
    }>;
    expect(differentUser[0]!.event_id).not.toBe(first[0]!.event_id);
    expect(emu.events('ces')).toHaveLength(2);
  });

  it('throttles as the API gateway does: APIGW.0308, HTTP 429, Retry-After', async () => {
    emu.setFaults({ ces: { throttle: { first: 1, retry_after: '3s' } } });
    const res = await post([cesEvent()]);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await readJson(res)).toMatchObject({ error_code: 'APIGW.0308' });
    expect((await post([cesEvent()])).status).toBe(201);
  });
});

describe('Cloud Eye CreateEvents validation', () => {
  const cases: Array<[string, CesEventInput, RegExp]> = [
    ['event_name starting with a digit', cesEvent({ event_name: '1abc' }), /event_name/],
    ['event_name of 65 characters', cesEvent({ event_name: `a${'b'.repeat(64)}` }), /event_name/],
    ['event_name with a dash', cesEvent({ event_name: 'disk-full' }), /event_name/],
    ['event_source without a dot', cesEvent({ event_source: 'financialSystem' }), /event_source/],
    ['event_source part starting with a digit', cesEvent({ event_source: 'fin.9System' }), /event_source/],
    ['event_source longer than 32', cesEvent({ event_source: `a.${'b'.repeat(31)}` }), /event_source/],
    ['time older than now - 1h + 10s', cesEvent({ time: Date.now() - 3_600_000 + 5_000 }), /time/],
    ['time later than now + 10min - 10s', cesEvent({ time: Date.now() + 600_000 - 5_000 }), /time/],
    ['content over 4096', cesEvent({}, { content: 'x'.repeat(4097) }), /content/],
    ['group_id not 24 characters long', cesEvent({}, { group_id: 'rg123' }), /group_id/],
    ['resource_id with a slash', cesEvent({}, { resource_id: 'a/b' }), /resource_id/],
    ['resource_id over 128', cesEvent({}, { resource_id: 'a'.repeat(129) }), /resource_id/],
    ['resource_name with a space', cesEvent({}, { resource_name: 'ecs 001' }), /resource_name/],
    ['event_state outside the enum', cesEvent({}, { event_state: 'critical' }), /event_state/],
    ['event_level outside the enum', cesEvent({}, { event_level: 'Warning' }), /event_level/],
    ['event_user over 64', cesEvent({}, { event_user: 'u'.repeat(65) }), /event_user/],
    ['event_type EVENT.SYS', cesEvent({}, { event_type: 'EVENT.SYS' }), /EVENT\.CUSTOM/],
    ['sub_event_type outside the enum', cesEvent({}, { sub_event_type: 'SUB_EVENT.OTHER' }), /sub_event_type/],
    ['five dimensions', cesEvent({}, { dimensions: Array.from({ length: 5 }, (_, i) => ({ name: `d${i}`, value: 'v' })) }), /at most 4/],
    ['a dimension name starting with a digit', cesEvent({}, { dimensions: [{ name: '0d', value: 'v' }] }), /dimensions\[0\]\.name/],
  ];
  for (const [what, event, details] of cases) {
    it(`rejects ${what} with ces.0014`, async () => {
      await expectCesError(await post([cesEvent(), event]), details);
      expect(emu.events('ces')).toHaveLength(0);
    });
  }

  it('accepts the window edges and four dimensions', async () => {
    const res = await post([
      cesEvent({ time: Date.now() - 3_600_000 + 15_000 }),
      cesEvent(
        { time: Date.now() + 600_000 - 15_000 },
        {
          dimensions: Array.from({ length: 4 }, (_, i) => ({ name: `d${i}`, value: 'v' })),
          event_type: 'EVENT.CUSTOM',
          sub_event_type: 'SUB_EVENT.OPS',
        },
      ),
    ]);
    expect(res.status).toBe(201);
  });

  it('rejects a missing time or detail, a non-array body and invalid JSON', async () => {
    const { time: _t, ...noTime } = cesEvent();
    await expectCesError(await post([noTime]), /time/);
    const { detail: _d, ...noDetail } = cesEvent();
    await expectCesError(await post([noDetail]), /detail/);
    await expectCesError(await post({ events: [] }), /array/);
  });
});

describe('Cloud Eye ListEvents and ListEventDetail', () => {
  /** 250 events: 5 names × 50, spread over the last 50 minutes, the newest name last. */
  async function seed250() {
    const base = Date.now() - 50 * 60_000;
    for (let batch = 0; batch < 5; batch++) {
      const events = Array.from({ length: 50 }, (_, i) => {
        const n = batch * 50 + i;
        return cesEvent(
          { event_name: `event_${n % 5}`, event_source: `svc.item${n % 3}`, time: base + n * 10_000 },
          { event_user: `user${n % 2}`, sub_event_type: n % 5 === 4 ? 'SUB_EVENT.OPS' : 'SUB_EVENT.CUSTOM' },
        );
      });
      expect((await post(events)).status).toBe(201);
    }
    return base;
  }

  it('aggregates 250 events by name with counts, latest time and source, and pages them', async () => {
    const base = await seed250();
    const custom = { sub_event_type: 'SUB_EVENT.CUSTOM' };
    const all = await readJson(await get(eventsPath, custom));
    expect(all.meta_data).toEqual({ total: 4 });
    // newest first: event 248 is event_3, 247 event_2, ...
    expect(all.events.map((e: { event_name: string }) => e.event_name)).toEqual(['event_3', 'event_2', 'event_1', 'event_0']);
    expect(all.events[0]).toEqual({
      event_name: 'event_3',
      event_type: 'EVENT.CUSTOM',
      sub_event_type: 'SUB_EVENT.CUSTOM',
      event_count: 50,
      latest_occur_time: base + 248 * 10_000,
      latest_event_source: `svc.item${248 % 3}`,
    });
    expect(all.events[3]).toMatchObject({
      event_name: 'event_0',
      event_count: 50,
      latest_occur_time: base + 245 * 10_000,
      latest_event_source: `svc.item${245 % 3}`,
    });

    const page2 = await readJson(await get(eventsPath, { ...custom, start: '1', limit: '2' }));
    expect(page2.meta_data.total).toBe(4);
    expect(page2.events.map((e: { event_name: string }) => e.event_name)).toEqual(['event_2', 'event_1']);
    const past = await readJson(await get(eventsPath, { ...custom, start: '4', limit: '2' }));
    expect(past).toEqual({ events: [], meta_data: { total: 4 } });
  });

  it('lists SUB_EVENT.OPS when the query names no sub-type (ListEvents default)', async () => {
    await seed250();
    const plain = await readJson(await get(eventsPath));
    expect(plain.events.map((e: { event_name: string; sub_event_type: string }) => [e.event_name, e.sub_event_type])).toEqual([
      ['event_4', 'SUB_EVENT.OPS'],
    ]);
  });

  it('filters by name, type, sub-type and time range', async () => {
    const base = await seed250();
    const custom = { sub_event_type: 'SUB_EVENT.CUSTOM' };
    const byName = await readJson(await get(eventsPath, { ...custom, event_name: 'event_1' }));
    expect(byName.events).toHaveLength(1);
    expect(byName.events[0].event_count).toBe(50);
    const sys = await readJson(await get(eventsPath, { event_type: 'EVENT.SYS' }));
    expect(sys.meta_data.total).toBe(0);
    // events 0..99 only: from base to base + 99 * 10 s; 80 of them custom
    const early = await readJson(await get(eventsPath, { ...custom, from: String(base), to: String(base + 99 * 10_000) }));
    expect(early.events.reduce((sum: number, e: { event_count: number }) => sum + e.event_count, 0)).toBe(80);
    expect(early.events.find((e: { event_name: string }) => e.event_name === 'event_0').latest_occur_time).toBe(base + 95 * 10_000);
  });

  it('rejects limit outside 1..100 and from >= to', async () => {
    const queries: Array<Record<string, string>> = [
      { limit: '0' },
      { limit: '101' },
      { from: '10', to: '10' },
      { start: '-1' },
      { event_type: 'EVENT.OTHER' },
    ];
    for (const query of queries) {
      const res = await get(eventsPath, query);
      expect(res.status).toBe(400);
      expect((await readJson(res)).message.code).toBe('ces.0014');
    }
  });

  it('ListEventDetail returns the individual events, newest first, with users and sources', async () => {
    const base = await seed250();
    const res = await get(`/V1.0/${projectId}/event/event_2`, { event_type: 'EVENT.CUSTOM', limit: '3' });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.meta_data.total).toBe(50);
    expect(body.event_info).toHaveLength(3);
    expect(body.event_info.map((e: { time: number }) => e.time)).toEqual([247, 242, 237].map((n) => base + n * 10_000));
    expect(body.event_info[0]).toMatchObject({
      event_name: 'event_2',
      event_source: `svc.item${247 % 3}`,
      detail: { event_user: 'user1' },
    });
    expect(body.event_users.sort()).toEqual(['user0', 'user1']);
    expect(body.event_sources.sort()).toEqual(['svc.item0', 'svc.item1', 'svc.item2']);
    const byUser = await readJson(await get(`/V1.0/${projectId}/event/event_2`, { event_type: 'EVENT.CUSTOM', event_user: 'user0' }));
    expect(byUser.meta_data.total).toBe(25);
    const missingType = await get(`/V1.0/${projectId}/event/event_2`);
    expect(missingType.status).toBe(400);
  });

  it('keeps projects apart', async () => {
    await seed250();
    const other = await readJson(await get('/V1.0/otherproject/events'));
    expect(other).toEqual({ events: [], meta_data: { total: 0 } });
  });
});
