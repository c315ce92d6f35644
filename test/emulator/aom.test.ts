import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { signHuaweiRequest } from '../../src/sinks/huawei/signer.ts';
import { huaweiSdkFetch, readJson, useEmulator } from './vendor-clients.ts';

let emu: RunningEmulator;
const { ak, sk, projectId } = EMULATOR_CREDENTIALS.huawei;
const pushPath = `/v2/${projectId}/push/events`;

const alarm = (overrides: Record<string, unknown> = {}, metadata: Record<string, string> = {}) => ({
  starts_at: Date.now(),
  timeout: 60_000,
  metadata: {
    event_name: 'test',
    event_severity: 'Major',
    event_type: 'alarm',
    resource_provider: 'ecs',
    resource_type: 'vm',
    resource_id: 'ecs123',
    ...metadata,
  },
  annotations: { message: 'Alarm Details' },
  attach_rule: {},
  ...overrides,
});

const push = (events: unknown[], opts: { clear?: boolean; sk?: string; tamper?: (t: string) => string } = {}) =>
  huaweiSdkFetch(emu.url, 'PUT', pushPath, {
    ak,
    sk: opts.sk ?? sk,
    body: { events },
    ...(opts.clear ? { query: { action: 'clear' } } : {}),
    ...(opts.tamper ? { tamper: opts.tamper } : {}),
  });

async function expectAomError(res: Response, message: RegExp) {
  expect(res.status).toBe(400);
  const body = await readJson(res);
  expect(body).toMatchObject({ error_code: 'AOM.0400', error_type: 'SC_BAD_REQUEST' });
  expect(body.error_msg).toMatch(message);
  expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/);
}

useEmulator((e) => (emu = e));

describe('AOM push events', () => {
  it('reports with 204 and no body; the alarm becomes active', async () => {
    const res = await push([alarm()]);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const { active } = emu.alarms();
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ metadata: { event_name: 'test', resource_id: 'ecs123' }, timeout: 60_000 });
    expect(emu.events('aom')[0]!.event).toMatchObject({ action: 'report', project_id: projectId });
  });

  it('a clear naming the alarm by id ends it; other alarms stay', async () => {
    await push([alarm({ id: 'alarm-1' }), alarm({ id: 'alarm-2' }, { resource_id: 'ecs456' })]);
    const clear = await push([{ ends_at: Date.now(), metadata: alarm().metadata, id: 'alarm-1' }], { clear: true });
    expect(clear.status).toBe(204);
    const state = await readJson(await fetch(`${emu.url}/_emulator/alarms`));
    expect(state.active.map((a: { metadata: { resource_id: string } }) => a.metadata.resource_id)).toEqual(['ecs456']);
    expect(state.cleared).toHaveLength(1);
    expect(state.cleared[0]).toMatchObject({ id: 'alarm-1', cleared_by: 'clear', metadata: { resource_id: 'ecs123' } });
  });

  it('a report without an id gets one made up; a clear of an id no alarm has is accepted and changes nothing', async () => {
    await push([alarm()]);
    const [raised] = emu.alarms().active;
    expect(raised!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await push([{ ends_at: Date.now(), metadata: alarm().metadata, id: 'no-such-alarm' }], { clear: true })).status).toBe(204);
    expect(emu.alarms().active.map((a) => a.id)).toEqual([raised!.id]);
    expect((await push([{ ends_at: Date.now(), metadata: alarm().metadata, id: raised!.id }], { clear: true })).status).toBe(204);
    expect(emu.alarms().active).toEqual([]);
  });

  it('a report of type event does not create alarm state', async () => {
    expect((await push([alarm({}, { event_type: 'event' })])).status).toBe(204);
    expect(emu.alarms().active).toHaveLength(0);
    expect(emu.events('aom')).toHaveLength(1);
  });

  it('auto-clears an alarm once its timeout has passed', async () => {
    await push([alarm({ starts_at: Date.now() - 10_000, timeout: 5_000 }), alarm({}, { resource_id: 'fresh' })]);
    const { active, cleared } = emu.alarms();
    expect(active.map((a) => a.metadata.resource_id)).toEqual(['fresh']);
    expect(cleared).toEqual([expect.objectContaining({ cleared_by: 'timeout' })]);
  });

  it('rejects a changed body byte or a wrong secret with APIGW.0301', async () => {
    const tampered = await push([alarm()], { tamper: (t) => t.replace('Major', 'Minor') });
    expect(tampered.status).toBe(401);
    expect(await readJson(tampered)).toMatchObject({ error_code: 'APIGW.0301' });
    expect((await push([alarm()], { sk: 'wrong' })).status).toBe(401);
    expect(emu.alarms().active).toHaveLength(0);
  });

  it('accepts requests signed by our own Huawei signer', async () => {
    const body = JSON.stringify({ events: [alarm()] });
    const headers = signHuaweiRequest({
      method: 'PUT',
      url: `${emu.url}${pushPath}?action=clear`,
      headers: { 'content-type': 'application/json' },
      body,
      ak,
      sk,
    });
    delete headers.host;
    const res = await fetch(`${emu.url}${pushPath}?action=clear`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ events: [{ ...alarm(), ends_at: Date.now(), id: 'a1' }] }),
    });
    // The body sent differs from the body signed: refused. Same body: accepted.
    expect(res.status).toBe(401);
    const good = JSON.stringify({ events: [{ ...alarm(), ends_at: Date.now(), id: 'a1' }] });
    const goodHeaders = signHuaweiRequest({
      method: 'PUT',
      url: `${emu.url}${pushPath}?action=clear`,
      headers: { 'content-type': 'application/json' },
      body: good,
      ak,
      sk,
    });
    delete goodHeaders.host;
    expect((await fetch(`${emu.url}${pushPath}?action=clear`, { method: 'PUT', headers: goodHeaders, body: good })).status).toBe(204);
  });
});

describe('AOM validation', () => {
  for (const key of ['event_name', 'event_severity', 'event_type', 'resource_provider', 'resource_type', 'resource_id']) {
    it(`requires metadata.${key}`, async () => {
      const e = alarm();
      delete (e.metadata as Record<string, string>)[key];
      await expectAomError(await push([e]), new RegExp(`metadata\\.${key}`));
    });
  }

  it('checks the severity and type enums and the metadata length', async () => {
    await expectAomError(await push([alarm({}, { event_severity: 'Warning' })]), /event_severity/);
    await expectAomError(await push([alarm({}, { event_type: 'incident' })]), /event_type/);
    await expectAomError(await push([alarm({}, { resource_id: 'x'.repeat(2049) })]), /resource_id/);
  });

  it('requires starts_at to report and ends_at to clear; caps timeout at 15 days', async () => {
    const { starts_at: _s, ...noStart } = alarm();
    await expectAomError(await push([noStart]), /starts_at/);
    await expectAomError(await push([alarm()], { clear: true }), /ends_at/);
    await expectAomError(await push([alarm({ timeout: 15 * 86_400_000 + 1 })]), /timeout/);
  });

  it('answers an unparsable body or an empty list with "parse eventParam failed"', async () => {
    const res = await fetch(`${emu.url}${pushPath}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-auth-token': EMULATOR_CREDENTIALS.huawei.token },
      body: '{"events": [',
    });
    await expectAomError(res, /parse eventParam failed/);
    await expectAomError(await push([]), /parse eventParam failed/);
  });

  it('answers another method with the gateway 404 APIGW.0101', async () => {
    const res = await huaweiSdkFetch(emu.url, 'POST', pushPath, { ak, sk, body: { events: [alarm()] } });
    expect(res.status).toBe(404);
    expect(await readJson(res)).toMatchObject({ error_code: 'APIGW.0101' });
  });

  it('throttles with APIGW.0308 429 and injects 503', async () => {
    emu.setFaults({ aom: { throttle: { first: 1 }, server_error: { every: 2, status: 503 } } });
    const throttled = await push([alarm()]);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect(await readJson(throttled)).toMatchObject({ error_code: 'APIGW.0308' });
    const unavailable = await push([alarm()]);
    expect(unavailable.status).toBe(503);
    expect(await readJson(unavailable)).toMatchObject({ error_code: 'AOM.0503' });
    expect((await push([alarm()])).status).toBe(204);
  });
});
