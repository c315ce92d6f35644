import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/agent/load-config.ts';
import { EMULATOR_CREDENTIALS, startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import type { Event } from '../../../src/model/event.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { CesSink } from '../../../src/sinks/huawei-ces/ces-sink.ts';
import type { SendResult } from '../../../src/sinks/sink.ts';
import { event } from '../../delivery/helpers.ts';

/** The Cloud Eye sink in-process against the emulator: check, send, isolation, identity, window. */

const HW = EMULATOR_CREDENTIALS.huawei;
let emu: RunningEmulator;
let skewed: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, config: { limits: { ces: { max_events: 100 } } } });
  skewed = await startEmulator({ port: 0, config: { clock_offset: '5m' } });
});
afterAll(async () => {
  await emu.close();
  await skewed.close();
});
afterEach(() => {
  emu.reset();
  skewed.reset();
});

async function sink(extra = '', url = emu.url, auth = `credentials: { ak: ${HW.ak}, sk: "${HW.sk}" }`): Promise<CesSink> {
  const loaded = loadConfigText(
    `sinks: { ces: { type: huawei_ces, region: cn-north-4, project_id: ${HW.projectId}, endpoint: "${url}", ${auth}${extra ? `, ${extra}` : ''} } }\n`,
    'ces.yaml',
  );
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const sc = loaded.config.sinks.get('ces');
  if (!sc) throw new Error('no sink');
  const l: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  const created = await sc.create({ logger: l, metrics: new Metrics(), baseDir: process.cwd() });
  if (!(created instanceof CesSink)) throw new Error('not a Cloud Eye sink');
  return created;
}

const orders = (n: number, o: (i: number) => Partial<Event> = () => ({})): Event[] =>
  Array.from({ length: n }, (_, i) =>
    event({
      name: 'OrderFailed',
      source: 'shop.orders',
      time: Date.now(),
      content: `order ${i + 1} failed`,
      resource: { id: 'order-1' },
      ...o(i),
    }),
  );

const send = (s: CesSink, batch: readonly Event[]): Promise<SendResult> => s.send(batch, AbortSignal.timeout(20_000));
const kinds = (r: SendResult) => r.outcomes.map((o) => o.kind);

describe('huawei_ces sink', () => {
  it('delivers on 201 with the event ids, with the Cloud Eye wire fields', async () => {
    const s = await sink();
    const batch = orders(100, (i) => ({
      resource: { id: `order/${i}`, name: `order-${i}` },
      dimensions: { service: 'shop', region: 'r1', az: 'az1', host: 'h1', pod: 'p1' },
    }));
    const r = await send(s, batch);
    expect(kinds(r)).toEqual(Array(100).fill('delivered'));
    const events = emu.events('ces').map((e) => e.event);
    expect(events).toHaveLength(100);
    expect(r.outcomes.map((o) => (o.kind === 'delivered' ? o.providerId : ''))).toEqual(events.map((e) => e.event_id));
    expect(events[1]).toMatchObject({
      project_id: HW.projectId,
      event_name: 'OrderFailed',
      event_source: 'shop.orders',
      detail: {
        resource_id: 'order_1',
        resource_name: 'order-1',
        event_type: 'EVENT.CUSTOM',
        sub_event_type: 'SUB_EVENT.CUSTOM',
        dimensions: [
          { name: 'service', value: 'shop' },
          { name: 'region', value: 'r1' },
          { name: 'az', value: 'az1' },
          { name: 'host', value: 'h1' },
        ],
        content: 'order 2 failed [log2events fixed: resource_id "order/1"; dimension "pod"="p1" (more than 4)]',
      },
    });
  });

  it('checks every event before batching: a name Cloud Eye cannot take is a problem naming the field', async () => {
    const s = await sink();
    expect(s.check(event({ name: '9X_order', source: 'shop.orders' }))).toMatchObject({
      code: 'ces.invalid_event',
      message: expect.stringMatching(/^event_name "9X_order" is invalid/),
    });
    expect(s.check(event({ name: 'Ok', source: 'log2events' }))?.message).toMatch(/^event_source "log2events"/);
    expect(s.check(event({ name: 'Ok', source: 'shop.orders', dimensions: { 'k8s.node': 'n1' } }))).toBeUndefined();
  });

  it('isolates the event Cloud Eye refuses (an unknown group_id) and delivers its neighbours', async () => {
    const s = await sink();
    const batch = orders(8, (i) => (i === 5 ? { overrides: { huawei_ces: { group_id: 'rg000000000000000000000x' } } } : {}));
    expect(s.check(batch[5]!)).toBeUndefined();
    const r = await send(s, batch);
    expect(kinds(r)).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'permanent', 'delivered', 'delivered']);
    expect(r.outcomes[5]).toMatchObject({
      code: 'ces.0014',
      message: expect.stringMatching(/group_id "rg000000000000000000000x" does not exist/),
    });
    expect(r.outcomes[5]).not.toHaveProperty('scope');
    expect(emu.events('ces')).toHaveLength(7);
  });

  it('keeps 1,000 events of one identity in one millisecond distinct, and a retry deduplicates', async () => {
    const s = await sink();
    const t = Date.now();
    const batch = orders(1000, () => ({ time: t }));
    for (let i = 0; i < 1000; i += 100) expect(new Set(kinds(await send(s, batch.slice(i, i + 100))))).toEqual(new Set(['delivered']));
    expect(emu.events('ces')).toHaveLength(1000);
    const again = await send(s, batch.slice(0, 100));
    expect(new Set(kinds(again))).toEqual(new Set(['delivered']));
    expect(emu.events('ces')).toHaveLength(1000);
  });

  it('clamps 100 two-hour-old events of one identity into the window as 100 events, the original time in the content', async () => {
    const s = await sink();
    const old = Date.now() - 2 * 3_600_000;
    const r = await send(
      s,
      orders(100, () => ({ time: old })),
    );
    expect(new Set(kinds(r))).toEqual(new Set(['delivered']));
    const events = emu.events('ces');
    expect(events).toHaveLength(100);
    expect(new Set(events.map((e) => e.event.time)).size).toBe(100);
    for (const e of events) {
      expect(e.received_at - e.event.time).toBeGreaterThan(55 * 60_000);
      expect(e.received_at - e.event.time).toBeLessThan(3_600_000 - 30_000);
      expect(e.event.detail.content).toMatch(new RegExp(`\\[occurred at ${new Date(old).toISOString()}\\]$`));
    }
  });

  it('an event refused for its time is fitted anew and delivered on the next send, not dead-lettered', async () => {
    // Cloud Eye's clock is 5 minutes ahead: 58 minutes old here is 63 minutes old there.
    const s = await sink('', skewed.url);
    const batch = orders(4, (i) => ({ time: Date.now() - (i === 2 ? 58 * 60_000 : 0) }));
    const first = await send(s, batch);
    expect(kinds(first)).toEqual(['delivered', 'delivered', 'retryable', 'delivered']);
    expect(first.outcomes[2]).toMatchObject({ code: 'ces.time_window', retryAfterMs: 0 });
    expect(Math.abs(s.target.clock.offset - 5 * 60_000)).toBeLessThan(5_000);
    const second = await send(s, [batch[2]!]);
    expect(kinds(second)).toEqual(['delivered']);
    expect(skewed.events('ces')).toHaveLength(4);
  });

  it('with old_events: reject, an event outside the window is refused by check', async () => {
    const s = await sink('old_events: reject');
    expect(s.check(event({ name: 'A', source: 'a.b', time: Date.now() - 2 * 3_600_000 }))).toMatchObject({
      code: 'ces.time_window',
      message: expect.stringMatching(/120 min in the past.*old_events: reject/),
    });
    expect(s.check(event({ name: 'A', source: 'a.b', time: Date.now() - 59 * 60_000 - 45_000 }))?.code).toBe('ces.time_window');
    expect(s.check(event({ name: 'A', source: 'a.b', time: Date.now() }))).toBeUndefined();
  });

  it('retries throttling with Retry-After and Cloud Eye outages; a wrong secret is final', async () => {
    emu.setFaults({ ces: { throttle: { first: 1, retry_after: '2s' }, server_error: { every: 1, status: 503 } } });
    const s = await sink();
    const throttled = await send(s, orders(2));
    expect(throttled.throttled).toBe(true);
    expect(throttled.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'APIGW.0308', retryAfterMs: 2000 });
    const down = await send(s, orders(2));
    expect(down.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'ces.0008' });
    emu.setFaults({});
    const wrong = await send(await sink('', emu.url, `credentials: { ak: ${HW.ak}, sk: wrong }`), orders(2));
    expect(wrong.outcomes[0]).toMatchObject({ kind: 'permanent', code: 'APIGW.0301', message: expect.stringMatching(/signature/) });
  });

  it('sends an IAM token as X-Auth-Token', async () => {
    const r = await send(await sink('', emu.url, `auth_token: ${HW.token}`), orders(2));
    expect(kinds(r)).toEqual(['delivered', 'delivered']);
  });

  it('refuses to start without credentials, naming what to set', async () => {
    const saved = { ak: process.env.HUAWEICLOUD_SDK_AK, sk: process.env.HUAWEICLOUD_SDK_SK };
    delete process.env.HUAWEICLOUD_SDK_AK;
    delete process.env.HUAWEICLOUD_SDK_SK;
    try {
      await expect(sink('', emu.url, 'old_events: clamp')).rejects.toThrow(
        /no credentials: set credentials \{ ak, sk \}, auth_token, or HUAWEICLOUD_SDK_AK/,
      );
    } finally {
      if (saved.ak !== undefined) process.env.HUAWEICLOUD_SDK_AK = saved.ak;
      if (saved.sk !== undefined) process.env.HUAWEICLOUD_SDK_SK = saved.sk;
    }
  });
});
