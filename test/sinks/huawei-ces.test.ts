import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS } from '../../src/emulator/index.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { deadLetters, linesOf, useEmulator } from './cloud-harness.ts';

/**
 * The Huawei Cloud Eye sink, driven through a real `log2events run` process against the
 * emulator (which refuses requests of more than 100 events here, like a cautious Cloud Eye).
 */
const emu = useEmulator({ limits: { ces: { max_events: 100 } } });

const HW = EMULATOR_CREDENTIALS.huawei;
const GOOD = `credentials: { ak: ${HW.ak}, sk: "${HW.sk}" }`;

interface Opts {
  auth?: string;
  extra?: string;
  event?: string;
  project?: string;
  batch?: string;
  concurrency?: number;
}

function config(dir: string, o: Opts = {}): string {
  return `state_dir: ${dir}/state
sources: { in: { type: stdin } }
sinks:
  ces:
    type: huawei_ces
    region: cn-north-4
    ${o.project ?? `project_id: ${HW.projectId}`}
    endpoint: ${emu.em.url}
    ${o.auth ?? GOOD}
    batch: ${o.batch ?? '{ linger: 50ms }'}
    concurrency: ${o.concurrency ?? 1}
    retry: { initial: 50ms, max: 500ms, max_elapsed: 2m }
    ${o.extra ?? ''}
rules:
  - name: orders
    when: { body: '^(?:(?<ts>\\d{4}-\\S+) )?(?<level>\\S+) order (?<id>\\S+) failed(?<pad> .*)?$' }
    event:
      name: OrderFailed
      source: shop.orders
      time: "{{ts}}"
      content: "order {{id}} failed{{pad}}"
      resource: { id: "order/{{id}}", name: "order-{{id}}" }
      dimensions: { service: shop, region: r1, az: az1, host: h1, pod: p1 }
      ${o.event ?? ''}
    to: [ces]
`;
}

const lines = (n: number, pad = '') => linesOf(n, (i) => `ERROR order ${i} failed${pad}`);


describe('huawei_ces sink', () => {
  it('sends 120 events in requests of at most 100, with the Cloud Eye wire fields', async () => {
    const s = scratchDir();
    const before = Date.now();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: lines(120) });
    expect(r.code, r.stderr).toBe(0);
    const stats = emu.em.stats().ces;
    expect(stats).toMatchObject({ requests: 2, accepted: 120, rejected: {} });
    const events = emu.em.events('ces').map((e) => e.event);
    expect(events.map((e) => e.detail.content).sort()).toEqual(Array.from({ length: 120 }, (_, i) => `order ${i + 1} failed`).sort());
    const first = events.find((e) => e.detail.content === 'order 1 failed')!;
    expect(first).toMatchObject({
      project_id: HW.projectId,
      event_name: 'OrderFailed',
      event_source: 'shop.orders',
      detail: {
        // `/` is not allowed in a Cloud Eye resource id: sanitised
        resource_id: 'order_1',
        resource_name: 'order-1',
        event_level: 'Major',
        event_state: 'incident',
        event_type: 'EVENT.CUSTOM',
        sub_event_type: 'SUB_EVENT.CUSTOM',
        // at most four dimensions: the first four
        dimensions: [
          { name: 'service', value: 'shop' },
          { name: 'region', value: 'r1' },
          { name: 'az', value: 'az1' },
          { name: 'host', value: 'h1' },
        ],
      },
    });
    expect(first.time).toBeGreaterThanOrEqual(before - 1000);
    expect(first.time).toBeLessThanOrEqual(Date.now());
    s.cleanup();
  });

  it('truncates content to 4096 characters instead of having the event refused', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: lines(2, ' ' + 'x'.repeat(6000)) });
    expect(r.code, r.stderr).toBe(0);
    const contents = emu.em.events('ces').map((e) => e.event.detail.content!);
    expect(contents).toHaveLength(2);
    for (const c of contents) {
      expect(c.length).toBe(4096);
      expect(c).toMatch(/^order \d failed x+…$/);
    }
    s.cleanup();
  });

  it('rides out throttling (50% APIGW.0308 with Retry-After): everything arrives, nothing dead-lettered', async () => {
    emu.em.setFaults({ ces: { throttle: { probability: 0.5, retry_after: '100ms' } } });
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { batch: '{ linger: 20ms, max_entries: 5 }', concurrency: 8 }));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(20) });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.stats().ces.throttled).toBeGreaterThan(0);
    expect(new Set(emu.em.events('ces').map((e) => e.event.detail.content)).size).toBe(20);
    expect(await deadLetters(file)).toEqual([]);
    s.cleanup();
  });

  it('retries ces.0007 / ces.0008 (HTTP 500 / 503) until the request goes through', async () => {
    emu.em.setFaults({ ces: { server_error: { first: 2, status: 503 } } });
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: lines(3) });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.stats().ces).toMatchObject({ requests: 3, accepted: 3, rejected: { 'ces.0008': 2 } });
    s.cleanup();
  });

  it('dead-letters after one attempt when the secret is wrong (APIGW.0301), and dlq replay delivers once fixed', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { auth: `credentials: { ak: ${HW.ak}, sk: wrong-secret }` }));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(3) });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.stats().ces.requests).toBe(1);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(3);
    for (const d of dead) {
      expect(d).toMatchObject({ sink: 'ces', code: 'APIGW.0301', attempts: 1 });
      expect(d.message).toMatch(/signature/i);
    }
    s.write('c.yaml', config(s.dir));
    expect((await runCli(['dlq', 'replay', '-c', file])).code).toBe(0);
    const again = await runCli(['run', '-c', file, '--once'], { input: '' });
    expect(again.code, again.stderr).toBe(0);
    expect(emu.em.events('ces').map((e) => e.event.detail.content).sort()).toEqual(['order 1 failed', 'order 2 failed', 'order 3 failed']);
    s.cleanup();
  });

  it('dead-letters what Cloud Eye refuses (ces.0014) with its message, without retrying', async () => {
    const s = scratchDir();
    // A dimension name must start with a letter: only Cloud Eye knows.
    const file = s.write('c.yaml', config(s.dir, { event: 'huawei_ces: { dimensions: [{ name: "1st", value: v }] }' }));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(2) });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.stats().ces).toMatchObject({ requests: 1, accepted: 0, rejected: { 'ces.0014': 1 } });
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(2);
    for (const d of dead) {
      expect(d).toMatchObject({ code: 'ces.0014', attempts: 1 });
      expect(d.message).toMatch(/dimensions\[0\]\.name must start with a letter/);
    }
    s.cleanup();
  });

  it('refuses an event whose name Cloud Eye cannot take before sending, and delivers the rest of its batch', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { event: 'huawei_ces: { event_name: "{{level}}_order" }' }));
    // "9X_order" starts with a digit; the others are valid names
    const input = 'ERROR order 1 failed\n9X order 2 failed\nWARN order 3 failed\n';
    const r = await runCli(['run', '-c', file, '--once'], { input });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.stats().ces).toMatchObject({ requests: 1, accepted: 2, rejected: {} });
    expect(emu.em.events('ces').map((e) => e.event.event_name).sort()).toEqual(['ERROR_order', 'WARN_order']);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'ces.invalid_event', attempts: 1, event: { content: 'order 2 failed' } });
    expect(dead[0]!.message).toMatch(/event_name "9X_order" is invalid/);
    s.cleanup();
  });

  it('clamps log lines older than Cloud Eye accepts into its window by default, keeping the original time', async () => {
    const s = scratchDir();
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: `${old} ERROR order 1 failed\n` });
    expect(r.code, r.stderr).toBe(0);
    const [e] = emu.em.events('ces');
    expect(e).toBeDefined();
    const age = e!.received_at - e!.event.time;
    expect(age).toBeGreaterThan(50 * 60_000);
    expect(age).toBeLessThan(3_600_000 - 10_000);
    expect(e!.event.detail.content).toBe(`order 1 failed [occurred at ${old}]`);
    s.cleanup();
  });

  it('with old_events: reject, dead-letters old log lines with the reason', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { extra: 'old_events: reject' }));
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const r = await runCli(['run', '-c', file, '--once'], { input: `${old} ERROR order 1 failed\nERROR order 2 failed\n` });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.events('ces').map((e) => e.event.detail.content)).toEqual(['order 2 failed']);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'ces.time_window', event: { content: 'order 1 failed' } });
    expect(dead[0]!.message).toMatch(/120 min in the past; Cloud Eye only accepts \[now - 1h \+ 10s, now \+ 10min - 10s\]/);
    s.cleanup();
  });
});

describe('huawei_ces credentials', () => {
  it('takes AK/SK and the project id from HUAWEICLOUD_SDK_* when the config has none', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { auth: '', project: '' })), '--once'], {
      input: lines(2),
      env: { HUAWEICLOUD_SDK_AK: HW.ak, HUAWEICLOUD_SDK_SK: HW.sk, HUAWEICLOUD_SDK_PROJECT_ID: 'envproject' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.events('ces').map((e) => e.event.project_id)).toEqual(['envproject', 'envproject']);
    s.cleanup();
  });

  it('sends an IAM token as X-Auth-Token', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { auth: `auth_token: ${HW.token}` })), '--once'], { input: lines(2) });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.events('ces')).toHaveLength(2);
    s.cleanup();
  });

  it('refuses to start without credentials, naming what to set', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { auth: '' })), '--once'], {
      input: lines(1),
      env: { HUAWEICLOUD_SDK_AK: '', HUAWEICLOUD_SDK_SK: '' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no credentials: set credentials \{ ak, sk \}, auth_token, or HUAWEICLOUD_SDK_AK/);
    s.cleanup();
  });
});
