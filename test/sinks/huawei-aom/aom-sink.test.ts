import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/agent/load-config.ts';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '../../../src/emulator/index.ts';
import type { Event } from '../../../src/model/event.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { alarmId } from '../../../src/sinks/huawei-aom/request-builder.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { event } from '../../delivery/helpers.ts';
import { recordingServers } from '../../helpers/recording-server.ts';

/** The AOM sink in-process against the emulator (and, for isolation, a stricter fake AOM). */
const HW = EMULATOR_CREDENTIALS.huawei;
let emu: RunningEmulator;
const sinks: Sink[] = [];
const server = recordingServers();

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emu.close();
});
afterEach(async () => {
  emu.reset();
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function aomSink(extra = '', url = emu.url, sk = HW.sk): Promise<Sink> {
  const yaml = `sinks: { s: { type: huawei_aom, region: cn-north-4, project_id: ${HW.projectId}, endpoint: "${url}", credentials: { ak: ${HW.ak}, sk: "${sk}" }${extra ? `, ${extra}` : ''} } }\n`;
  const loaded = loadConfigText(yaml, 'aom.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const sc = loaded.config.sinks.get('s');
  if (!sc) throw new Error('no sink');
  const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  const sink = await sc.create({ logger, metrics: new Metrics(), baseDir: process.cwd() });
  sinks.push(sink);
  return sink;
}

const send = (sink: Sink, batch: Event[]) => sink.send(batch, AbortSignal.timeout(20_000));
const queue = (q: string, more: Partial<Event> = {}) =>
  event({
    name: 'QueueStalled',
    source: 'shop.queues',
    key: `QueueStalled|${q}`,
    content: `queue ${q} stalled`,
    resource: { id: q, type: 'queue' },
    attributes: { queue: q },
    time: Date.now(),
    ...more,
  });

describe('huawei_aom sink', () => {
  it('reports alarms AOM accepts (204): metadata, string annotations, timeout, the id of the key, the enterprise-project header', async () => {
    const sink = await aomSink('enterprise_project_id: ep-1, alarm_timeout: 2h');
    const r = await send(sink, [queue('billing'), queue('mail')]);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
    const [first] = emu.events('aom').map((e) => e.event);
    expect(first).toMatchObject({
      action: 'report',
      enterprise_project_id: 'ep-1',
      timeout: 7_200_000,
      id: alarmId('QueueStalled|billing'),
      metadata: {
        event_name: 'QueueStalled',
        event_severity: 'Major',
        event_type: 'alarm',
        resource_provider: 'log2events',
        resource_type: 'queue',
        resource_id: 'billing',
      },
      annotations: { message: 'queue billing stalled', source: 'shop.queues', queue: 'billing' },
    });
    expect(
      emu
        .alarms()
        .active.map((a) => a.id)
        .sort(),
    ).toEqual([alarmId('QueueStalled|billing'), alarmId('QueueStalled|mail')].sort());
  });

  it('sends the enterprise project under the older SDK spelling when configured', async () => {
    const sink = await aomSink('enterprise_project_id: ep-2, enterprise_project_header: x-enterprise-prject-id');
    expect((await send(sink, [queue('billing')])).outcomes[0]!.kind).toBe('delivered');
    expect(emu.events('aom')[0]!.event.enterprise_project_id).toBe('ep-2');
  });

  it('a raise then its clear: separate requests in order, the clear names the alarm by id and ends it', async () => {
    const sink = await aomSink();
    const r = await send(sink, [queue('billing'), queue('billing', { action: 'clear' }), queue('mail')]);
    expect(r.outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(emu.stats().aom).toMatchObject({ requests: 3, accepted: 3 });
    const events = emu.events('aom').map((e) => e.event);
    expect(events.map((e) => [e.action, e.id])).toEqual([
      ['report', alarmId('QueueStalled|billing')],
      ['clear', alarmId('QueueStalled|billing')],
      ['report', alarmId('QueueStalled|mail')],
    ]);
    const { active, cleared } = emu.alarms();
    expect(active.map((a) => a.metadata.resource_id)).toEqual(['mail']);
    expect(cleared).toEqual([expect.objectContaining({ id: alarmId('QueueStalled|billing'), cleared_by: 'clear' })]);
  });

  it('a clear without a matching raise is still sent and counted delivered', async () => {
    const sink = await aomSink();
    const r = await send(sink, [queue('never-raised', { action: 'clear' })]);
    expect(r.outcomes[0]!.kind).toBe('delivered');
    expect(emu.events('aom').map((e) => e.event.action)).toEqual(['clear']);
    expect(emu.alarms()).toEqual({ active: [], cleared: [] });
  });

  it('when a report fails (AOM.0500), the clear behind it is not sent and retries with it', async () => {
    emu.setFaults({ aom: { server_error: { first: 1 } } });
    const sink = await aomSink();
    const r = await send(sink, [queue('billing'), queue('billing', { action: 'clear' })]);
    expect(r.outcomes.map((o) => (o.kind === 'retryable' ? o.code : o.kind))).toEqual(['AOM.0500', 'AOM.0500']);
    expect(emu.stats().aom.requests).toBe(1);
  });

  it('throttling (APIGW.0308 429) is retryable with the answer Retry-After', async () => {
    emu.setFaults({ aom: { throttle: { first: 1, retry_after: '3s' } } });
    const r = await send(await aomSink(), [queue('billing')]);
    expect(r.throttled).toBe(true);
    expect(r.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'APIGW.0308', retryAfterMs: 3000 });
  });

  it('a wrong secret (APIGW.0301) is final for the request, not isolated', async () => {
    const r = await send(await aomSink('', emu.url, 'wrong-secret'), [queue('a'), queue('b')]);
    for (const o of r.outcomes) expect(o).toMatchObject({ kind: 'permanent', code: 'APIGW.0301' });
    expect(emu.stats().aom.requests).toBe(1);
  });

  it('check() refuses an event whose rendered override AOM would refuse, naming the field', async () => {
    const sink = await aomSink();
    expect(sink.check?.(queue('a'))).toBeUndefined();
    expect(sink.check?.(queue('a', { overrides: { huawei_aom: { event_type: 'incident' } } }))).toEqual({
      code: 'aom.invalid_event',
      message: expect.stringMatching(/huawei_aom\.event_type/),
    });
    expect(sink.check?.(queue('a', { overrides: { huawei_aom: { timeout: 'tomorrow' } } }))?.message).toMatch(/huawei_aom\.timeout/);
  });

  it('isolates the one entry AOM refuses (AOM.0400) in a request of 16: 15 delivered, 1 dead', async () => {
    // A stricter AOM: refuses any request carrying an annotation the sink cannot know is bad.
    const fake = await server((req, res) => {
      if (req.body.includes('"poison"'))
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ error_code: 'AOM.0400', error_msg: 'parse eventParam failed', error_type: 'SC_BAD_REQUEST', trace_id: 'x' }),
          );
      else res.writeHead(204).end();
    });
    const sink = await aomSink('', fake.url);
    const batch = Array.from({ length: 16 }, (_, i) =>
      queue(`q${i}`, i === 11 ? { overrides: { huawei_aom: { annotations: { tag: 'poison' } } } } : {}),
    );
    const r = await send(sink, batch);
    expect(r.outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(15);
    expect(r.outcomes[11]).toEqual({ kind: 'permanent', code: 'AOM.0400', message: expect.stringContaining('parse eventParam failed') });
    expect(fake.requests.length).toBeLessThanOrEqual(1 + 2 * 4);
  });

  it('takes event_type and resource_provider from the config: an event of type event is a record, not an alarm', async () => {
    const sink = await aomSink('event_type: event, resource_provider: shop');
    expect((await send(sink, [queue('billing')])).outcomes[0]!.kind).toBe('delivered');
    expect(emu.events('aom')[0]!.event.metadata).toMatchObject({ event_type: 'event', resource_provider: 'shop' });
    expect(emu.alarms().active).toEqual([]);
  });
});

describe('huawei_aom config', () => {
  it("a rule's huawei_aom: block is checked at load: a misspelled key and wrong literals at file:line:col, templates later", () => {
    const text = [
      'sources: { in: { type: stdin } }',
      'sinks: { aom: { type: huawei_aom, region: cn-north-4, project_id: p } }',
      'rules:',
      '  - name: r',
      '    when: { body: x }',
      '    event:',
      '      name: E',
      '      huawei_aom: { timout: 5, timeout: 16d, event_type: incident, metadata: { event_severity: Warning }, id: "{{attributes.id}}" }',
      '    to: [aom]',
      '',
    ].join('\n');
    const r = loadConfigText(text, 'rules.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const errors = r.errors.join('\n');
    expect(errors).toMatch(/rules\.yaml:8:\d+.*unknown key "timout" in huawei_aom/);
    expect(errors).toMatch(/rules\.yaml:8:\d+.*huawei_aom\.timeout: must be at most 15 days/);
    expect(errors).toMatch(/rules\.yaml:8:\d+.*huawei_aom\.event_type/);
    expect(errors).toMatch(/rules\.yaml:8:\d+.*huawei_aom\.metadata\.event_severity/);
    expect(errors).not.toMatch(/huawei_aom\.id/);
  });

  it.each([
    ['alarm_timeout: 16d', /alarm_timeout/],
    ['event_type: incident', /event_type/],
    ['enterprise_project_header: enterprise-prject-id', /enterprise_project_header/],
  ])('refuses %s', (extra, message) => {
    const r = loadConfigText(`sinks: { s: { type: huawei_aom, region: r, project_id: p, ${extra} } }\n`, 'aom.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(message);
  });
});
