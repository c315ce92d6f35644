import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/agent/load-config.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { alibabaCredentialProvider } from '../../../src/sinks/alibaba/credential-provider.ts';
import type { CmsSink } from '../../../src/sinks/alibaba-cms/cms-sink.ts';
import type { SendResult } from '../../../src/sinks/sink.ts';
import { event } from '../../delivery/helpers.ts';

/**
 * The alibaba_cms sink in-process against the emulator: signatures, throttling, refusals, clock
 * skew and isolation, each through `send` as the engine calls it.
 */
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

let emu: RunningEmulator;
let skewed: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, config: { limits: { alibaba: { max_events: 10 } } } });
  skewed = await startEmulator({ port: 0, config: { clock_offset: '20m' } });
});
afterAll(async () => {
  await emu.close();
  await skewed.close();
});

async function cmsSink(url: string, extra = '', secret?: string): Promise<CmsSink> {
  const creds = emu.credentials.alibaba;
  const text = `sinks: { s: { type: alibaba_cms, endpoint: "${url}", credentials: { access_key_id: ${creds.accessKeyId}, access_key_secret: "${secret ?? creds.accessKeySecret}" }${extra} } }\n`;
  const loaded = loadConfigText(text, 'cms.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const sc = loaded.config.sinks.get('s');
  if (!sc) throw new Error('no sink');
  return (await sc.create({ logger: silent, metrics: new Metrics(), baseDir: process.cwd() })) as CmsSink;
}

const kinds = (r: SendResult) => r.outcomes.map((o) => (o.kind === 'delivered' ? 'delivered' : `${o.kind}:${o.code}`));
const send = (sink: CmsSink, n: number, over: Parameters<typeof event>[0] = {}) =>
  sink.send(
    Array.from({ length: n }, () => event(over)),
    AbortSignal.timeout(20_000),
  );

describe('alibaba_cms sink against the emulator', () => {
  it('signs with ACS3-HMAC-SHA256 by default, and with RPC v1 HMAC-SHA1 on request', async () => {
    emu.reset();
    const acs3 = await cmsSink(emu.url);
    expect(kinds(await send(acs3, 2))).toEqual(['delivered', 'delivered']);
    const v1 = await cmsSink(emu.url, ', signature: v1, group_id: 123456');
    expect(kinds(await send(v1, 1))).toEqual(['delivered']);
    expect(emu.events('alibaba').map((e) => e.event.GroupId)).toEqual(['0', '0', '123456']);
    expect(emu.stats().alibaba).toMatchObject({ requests: 2, accepted: 3 });
  });

  it('a request the provider refuses for its content is split until the refused part is alone', async () => {
    emu.reset();
    // The emulator takes 10 events per request here: 25 is refused, then 13 and 12, then 7+6+6+6 go.
    const sink = await cmsSink(emu.url, ', batch: { max_entries: 25 }');
    const r = await send(sink, 25);
    expect(kinds(r).every((k) => k === 'delivered')).toBe(true);
    expect(emu.events('alibaba')).toHaveLength(25);
    expect(emu.stats().alibaba.rejected).toEqual({ InvalidParameter: 3 });
    expect(emu.stats().alibaba.requests).toBe(7);
  });

  it('throttling is retryable with the wait the provider names; a server error is retryable', async () => {
    emu.reset();
    emu.setFaults({ alibaba: { throttle: { first: 1, retry_after: '1500ms' } } });
    const sink = await cmsSink(emu.url);
    const r = await send(sink, 2);
    expect(r.throttled).toBe(true);
    expect(r.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'Throttling.User', retryAfterMs: 1500 });
    emu.setFaults({ alibaba: { server_error: { first: 1 } } });
    expect(kinds(await send(sink, 1))).toEqual(['retryable:InternalError']);
    expect(kinds(await send(sink, 1))).toEqual(['delivered']);
    emu.setFaults({});
  });

  it.each(['acs3', 'v1'])(
    '%s: a batch filling the byte budget is one request the provider takes (500 KB with the common parameters)',
    async (signature) => {
      emu.reset();
      const sink = await cmsSink(emu.url, `, signature: ${signature}`);
      // Events of ~49 KB of content whose encoded sizes add up to just under the sink's budget.
      const batch = Array.from({ length: 10 }, (_, i) => event({ content: `${i} ${'ü'.repeat(8_000)}` }));
      const total = batch.reduce((n, e) => n + sink.entrySize(e), 0);
      expect(total).toBeGreaterThan(sink.limits.maxBytes - 60_000);
      expect(total).toBeLessThanOrEqual(sink.limits.maxBytes);
      expect(kinds(await sink.send(batch, AbortSignal.timeout(20_000)))).toEqual(Array(10).fill('delivered'));
    },
  );

  it('a wrong secret is final for the whole request, not split', async () => {
    emu.reset();
    const sink = await cmsSink(emu.url, '', 'wrong');
    const r = await send(sink, 3);
    expect(kinds(r)).toEqual(Array(3).fill('permanent:SignatureDoesNotMatch'));
    expect(r.outcomes[0]).toMatchObject({ message: expect.stringMatching(/signature is not matched/) });
    expect(r.outcomes[0]).not.toHaveProperty('scope');
    expect(emu.stats().alibaba.requests).toBe(1);
  });

  it.each(['acs3', 'v1'])(
    '%s: a provider clock 20 minutes ahead is learnt from the Date header, then every event goes',
    async (signature) => {
      skewed.reset();
      const sink = await cmsSink(skewed.url, `, signature: ${signature}`);
      const first = await send(sink, 2);
      expect(first.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'InvalidTimeStamp.Expired', retryAfterMs: 0 });
      expect(Math.abs(sink.clock.offset - 20 * 60_000)).toBeLessThan(60_000);
      expect(kinds(await send(sink, 2))).toEqual(['delivered', 'delivered']);
    },
  );

  it('check refuses an event before batching, naming the field; send settles it alone', async () => {
    emu.reset();
    const sink = await cmsSink(emu.url);
    const bad = event({ overrides: { alibaba: { group_id: 'shop' } } });
    expect(sink.check(bad)).toMatchObject({ code: 'cms.invalid_event', message: expect.stringMatching(/alibaba\.group_id/) });
    const good = event();
    expect(sink.check(good)).toBeUndefined();
    const r = await sink.send([good, bad], AbortSignal.timeout(20_000));
    expect(kinds(r)).toEqual(['delivered', 'permanent:cms.invalid_event']);
  });
});

describe('alibaba_cms config', () => {
  it.each([
    ['batch: { max_entries: 101 }', /PutCustomEvent takes at most 100 events per request/],
    ['group_id: shop', /group_id: an application group id/],
    ['signature: v2', /signature/],
  ])('%s is refused at load', (extra, message) => {
    const r = loadConfigText(`sinks: { s: { type: alibaba_cms, region: cn-hangzhou, ${extra} } }\n`, 'c.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(message);
  });

  it("a rule's alibaba: block is checked at load: a misspelled key and a wrong literal, at file:line:col", () => {
    const text = [
      'sources: { in: { type: stdin } }',
      'sinks: { cms: { type: alibaba_cms, region: cn-hangzhou } }',
      'rules:',
      '  - name: r',
      '    when: { body: x }',
      '    event:',
      '      name: E',
      '      alibaba: { group_id: shop, evnt_name: X, time: "{{attributes.t}}" }',
      '    to: [cms]',
      '',
    ].join('\n');
    const r = loadConfigText(text, 'rules.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const errors = r.errors.join('\n');
    expect(errors).toMatch(/rules\.yaml:8:\d+.*group_id.*not an application group id/);
    expect(errors).toMatch(/rules\.yaml:8:\d+.*unknown key "evnt_name" in alibaba/);
    // A templated value is checked when it renders (a dead letter of that event), not at load.
    expect(errors).not.toMatch(/alibaba\.time/);
  });

  it('a literal group: that is no application group id is a validate error where the rule routes to alibaba_cms', () => {
    const rule = (group: string) =>
      `sources: { in: { type: stdin } }\nsinks: { cms: { type: alibaba_cms, region: cn-hangzhou } }\nrules:\n  - name: r\n    when: { body: x }\n    event: { name: E, group: ${group} }\n    to: [cms]\n`;
    const bad = loadConfigText(rule('shop'), 'g.yaml');
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.errors.join('\n')).toMatch(
        /g\.yaml:6:\d+: rules\[0\]\.event\.group: group "shop" is not an Alibaba application group id .*\(routed to sink "cms"\)/,
      );
    expect(loadConfigText(rule('"123"'), 'g.yaml').ok).toBe(true);
    expect(loadConfigText(rule('"{{attributes.g}}"'), 'g.yaml').ok).toBe(true);
  });

  it('defaults: ACS3 signature, 50 events per request, 500 KB less room for the common parameters', async () => {
    const sink = await cmsSink(emu.url);
    expect(sink.limits).toEqual({ maxEntries: 50, maxBytes: 500_000 - 2048 });
  });

  it('takes ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET from the environment', async () => {
    const p = alibabaCredentialProvider({}, { env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret' } });
    expect(p.source).toBe('env');
    expect(await p.get()).toEqual({ accessKeyId: 'id', accessKeySecret: 'secret' });
  });
});
