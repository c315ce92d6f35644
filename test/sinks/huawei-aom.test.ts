import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS } from '../../src/emulator/index.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { deadLetters, linesOf, useEmulator } from './cloud-harness.ts';

/** The Huawei AOM sink, driven through a real `log2events run` process against the emu.em. */
const emu = useEmulator();

const HW = EMULATOR_CREDENTIALS.huawei;

function config(dir: string, o: { auth?: string; extra?: string; event?: string; batch?: string; concurrency?: number } = {}): string {
  return `state_dir: ${dir}/state
sources: { in: { type: stdin } }
sinks:
  aom:
    type: huawei_aom
    region: cn-north-4
    project_id: ${HW.projectId}
    endpoint: ${emu.em.url}
    ${o.auth ?? `credentials: { ak: ${HW.ak}, sk: "${HW.sk}" }`}
    batch: ${o.batch ?? '{ linger: 50ms }'}
    concurrency: ${o.concurrency ?? 1}
    retry: { initial: 50ms, max: 500ms, max_elapsed: 2m }
    ${o.extra ?? ''}
rules:
  - name: down
    when: { body: 'ERROR queue (?<q>\\S+) stalled' }
    event:
      name: QueueStalled
      source: shop.queues
      content: "queue {{q}} stalled"
      resource: { id: "{{q}}", type: queue }
      attributes: { queue: "{{q}}" }
      ${o.event ?? ''}
    to: [aom]
  - name: up
    when: { body: 'INFO queue (?<q>\\S+) flowing' }
    event: { name: QueueStalled, source: shop.queues, action: clear, content: "queue {{q}} flowing", resource: { id: "{{q}}", type: queue } }
    to: [aom]
`;
}


describe('huawei_aom sink', () => {
  it('reports alarms with the AOM metadata, annotations, start time and the default 5-day timeout', async () => {
    const s = scratchDir();
    const before = Date.now();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: 'ERROR queue billing stalled\nERROR queue mail stalled\n' });
    expect(r.code, r.stderr).toBe(0);
    const events = emu.em.events('aom').map((e) => e.event);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      action: 'report',
      project_id: HW.projectId,
      timeout: 5 * 24 * 3_600_000,
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
    expect(events[0]!.starts_at).toBeGreaterThanOrEqual(before - 1000);
    expect(emu.em.alarms().active.map((a) => a.metadata.resource_id).sort()).toEqual(['billing', 'mail']);
    s.cleanup();
  });

  it('ends an alarm with a clear of the same identity, sent as its own ?action=clear request after the report', async () => {
    const s = scratchDir();
    const input = 'ERROR queue billing stalled\nINFO queue billing flowing\nERROR queue mail stalled\n';
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input });
    expect(r.code, r.stderr).toBe(0);
    // one batch, three runs in order: report, clear, report
    expect(emu.em.stats().aom).toMatchObject({ requests: 3, accepted: 3, rejected: {} });
    const events = emu.em.events('aom').map((e) => e.event);
    expect(events.map((e) => [e.action, e.metadata.resource_id])).toEqual([['report', 'billing'], ['clear', 'billing'], ['report', 'mail']]);
    expect(events[1]!.ends_at).toBeTypeOf('number');
    expect(events[1]!.starts_at).toBeUndefined();
    const { active, cleared } = emu.em.alarms();
    expect(active.map((a) => a.metadata.resource_id)).toEqual(['mail']);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ cleared_by: 'clear', metadata: { resource_id: 'billing', event_name: 'QueueStalled' } });
    s.cleanup();
  });

  it('when the report fails (AOM.0500), holds back the clear behind it, so the retry still ends the alarm', async () => {
    emu.em.setFaults({ aom: { server_error: { first: 1 } } });
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: 'ERROR queue billing stalled\nINFO queue billing flowing\n' });
    expect(r.code, r.stderr).toBe(0);
    // the failed report, then report and clear again together: the clear was never sent alone
    expect(emu.em.stats().aom).toMatchObject({ requests: 3, accepted: 2, rejected: { 'AOM.0500': 1 } });
    expect(emu.em.events('aom').map((e) => e.event.action)).toEqual(['report', 'clear']);
    expect(emu.em.alarms().active).toEqual([]);
    expect(emu.em.alarms().cleared).toHaveLength(1);
    s.cleanup();
  });

  it('takes alarm_timeout, event_type and resource_provider from the config', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { extra: 'alarm_timeout: 2h\n    event_type: event\n    resource_provider: shop' }));
    const r = await runCli(['run', '-c', file, '--once'], { input: 'ERROR queue billing stalled\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.events('aom')[0]!.event).toMatchObject({ timeout: 7_200_000, metadata: { event_type: 'event', resource_provider: 'shop' } });
    // an event is a record, not an alarm
    expect(emu.em.alarms().active).toEqual([]);
    s.cleanup();
  });

  it('rides out throttling (50% APIGW.0308 with Retry-After): everything arrives, nothing dead-lettered', async () => {
    emu.em.setFaults({ aom: { throttle: { probability: 0.5, retry_after: '100ms' } } });
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { batch: '{ linger: 20ms, max_entries: 5 }', concurrency: 8 }));
    const input = linesOf(20, (i) => `ERROR queue q${i} stalled`);
    const r = await runCli(['run', '-c', file, '--once'], { input });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.em.stats().aom.throttled).toBeGreaterThan(0);
    expect(new Set(emu.em.events('aom').map((e) => e.event.metadata.resource_id)).size).toBe(20);
    expect(await deadLetters(file)).toEqual([]);
    s.cleanup();
  });

  it('dead-letters after one attempt when the secret is wrong (APIGW.0301), and dlq replay delivers once fixed', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { auth: `credentials: { ak: ${HW.ak}, sk: wrong-secret }` }));
    const r = await runCli(['run', '-c', file, '--once'], { input: 'ERROR queue billing stalled\n' });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.stats().aom.requests).toBe(1);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'APIGW.0301', attempts: 1 });
    expect(dead[0]!.message).toMatch(/signature/i);
    s.write('c.yaml', config(s.dir));
    expect((await runCli(['dlq', 'replay', '-c', file])).code).toBe(0);
    expect((await runCli(['run', '-c', file, '--once'], { input: '' })).code).toBe(0);
    expect(emu.em.alarms().active.map((a) => a.metadata.resource_id)).toEqual(['billing']);
    s.cleanup();
  });

  it('dead-letters what AOM refuses (AOM.0400) with its message, without retrying', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { event: 'huawei_aom: { metadata: { event_type: incident } }' }));
    const r = await runCli(['run', '-c', file, '--once'], { input: 'ERROR queue billing stalled\n' });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emu.em.stats().aom).toMatchObject({ requests: 1, accepted: 0, rejected: { 'AOM.0400': 1 } });
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'AOM.0400', attempts: 1 });
    expect(dead[0]!.message).toMatch(/event_type must be one of event, alarm/);
    s.cleanup();
  });
});
