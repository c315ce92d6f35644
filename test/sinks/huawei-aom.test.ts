import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '../../src/emulator/index.ts';
import { alarmId } from '../../src/sinks/huawei-aom/request-builder.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { deadLetters, linesOf } from './cloud-harness.ts';

/**
 * The AOM sink end to end: a real `log2events run` against the emulator — a poison event among
 * 100, a raise then its clear, and an agent whose clock is 20 minutes off either way. The
 * sink's logic is tested in-process under huawei-aom/.
 */
const HW = EMULATOR_CREDENTIALS.huawei;
const emus: Record<string, RunningEmulator> = {};

beforeAll(async () => {
  for (const offset of ['0s', '20m', '-20m']) emus[offset] = await startEmulator({ port: 0, config: { clock_offset: offset } });
});
afterAll(async () => {
  await Promise.all(Object.values(emus).map((e) => e.close()));
});

function config(dir: string, url: string): string {
  return `state_dir: ${dir}/state
sources: { in: { type: stdin } }
sinks:
  aom:
    type: huawei_aom
    region: cn-north-4
    project_id: ${HW.projectId}
    endpoint: ${url}
    credentials: { ak: ${HW.ak}, sk: "${HW.sk}" }
    batch: { linger: 50ms, max_entries: 100 }
    concurrency: 1
    retry: { initial: 50ms, max: 500ms, max_elapsed: 2m }
rules:
  - name: down
    when: { body: 'ERROR queue (?<q>\\S+) stalled(?: kind=(?<kind>\\S+))?' }
    event:
      name: QueueStalled
      source: shop.queues
      content: "queue {{q}} stalled"
      resource: { id: "{{q}}", type: queue }
      huawei_aom: { event_type: "{{kind}}" }
    to: [aom]
  - name: up
    when: { body: 'INFO queue (?<q>\\S+) flowing' }
    event: { name: QueueStalled, source: shop.queues, action: clear, content: "queue {{q}} flowing", resource: { id: "{{q}}", type: queue } }
    to: [aom]
`;
}

describe('huawei_aom end to end', () => {
  it('100 events with one poison → 99 delivered and 1 dead letter naming the field; a raise then its clear ends the alarm by id; a clock 20 min off either way delivers everything', async () => {
    const emu = emus['0s']!;
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, emu.url));
    const input =
      linesOf(100, (i) => (i === 50 ? `ERROR queue q${i} stalled kind=incident` : `ERROR queue q${i} stalled`)) + 'INFO queue q1 flowing\n';
    const r = await runCli(['run', '-c', file, '--once'], { input, timeoutMs: 120_000 });
    // --once exits 4: an event went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    const stored = emu.events('aom').map((e) => e.event);
    expect(stored.filter((e) => e.action === 'report')).toHaveLength(99);
    expect(stored.some((e) => e.metadata.resource_id === 'q50')).toBe(false);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'aom.invalid_event', attempts: 0 });
    expect(dead[0]!.message).toMatch(/huawei_aom\.event_type/);
    expect(dead[0]!.event.content).toBe('queue q50 stalled');
    // The clear carried the raise's id, and the emulator ended that alarm by it.
    const clear = stored.find((e) => e.action === 'clear');
    expect(clear?.id).toBe(alarmId('QueueStalled|q1'));
    const { active, cleared } = emu.alarms();
    expect(cleared).toEqual([expect.objectContaining({ id: alarmId('QueueStalled|q1'), cleared_by: 'clear' })]);
    expect(active).toHaveLength(98);
    s.cleanup();

    for (const offset of ['20m', '-20m']) {
      const skewed = emus[offset]!;
      const t = scratchDir();
      const f = t.write('c.yaml', config(t.dir, skewed.url));
      const run = await runCli(['run', '-c', f, '--once'], { input: linesOf(20, (i) => `ERROR queue q${i} stalled`), timeoutMs: 120_000 });
      expect(run.code, `clock_offset ${offset}: ${run.stderr}`).toBe(0);
      // The first request was refused for its signing time; the corrected ones were accepted.
      expect(skewed.stats().aom.rejected['APIGW.0301'], `clock_offset ${offset}`).toBeGreaterThanOrEqual(1);
      expect(new Set(skewed.events('aom').map((e) => e.event.metadata.resource_id)).size, `clock_offset ${offset}`).toBe(20);
      expect(await deadLetters(f)).toEqual([]);
      t.cleanup();
    }
  }, 300_000);
});
