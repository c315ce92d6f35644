import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { cmsConfig, deadLetters, linesOf } from './cloud-harness.ts';

/**
 * The alibaba_cms sink end to end, through a real `log2events run --once` against emulators whose
 * clocks are 20 minutes ahead of and behind the agent's: one poison event among 100 goes to dead
 * letters alone, naming its field, and every other event arrives despite the skew. (The sink's
 * other behaviour is tested in-process under test/sinks/alibaba-cms/.)
 */
let ahead: RunningEmulator;
let behind: RunningEmulator;
beforeAll(async () => {
  ahead = await startEmulator({ port: 0, config: { clock_offset: '20m' } });
  behind = await startEmulator({ port: 0, config: { clock_offset: '-20m' } });
});
afterAll(async () => {
  await ahead.close();
  await behind.close();
});

/** An id of 20 digits is no application group id (64-bit): the one poison event. */
const POISON_ID = '99999999999999999999';
const contentOf = (c: string) => String((JSON.parse(c) as { content: unknown }).content);

function config(dir: string, emu: RunningEmulator): string {
  const c = emu.credentials.alibaba;
  return cmsConfig(dir, {
    endpoint: emu.url,
    auth: `credentials: { access_key_id: ${c.accessKeyId}, access_key_secret: "${c.accessKeySecret}" }`,
    event: 'alibaba: { group_id: "{{id}}" }',
  });
}

/** Only expired-timestamp refusals, from the start-up check and/or the first request, never more. */
function expectCorrectedOnce(rejected: Record<string, number>): void {
  expect(Object.keys(rejected)).toEqual(['InvalidTimeStamp.Expired']);
  expect(rejected['InvalidTimeStamp.Expired']).toBeGreaterThanOrEqual(1);
  expect(rejected['InvalidTimeStamp.Expired']).toBeLessThanOrEqual(2);
}

describe('alibaba_cms end to end', () => {
  it('100 events with one poison → 99 delivered, 1 dead letter naming the field; an agent 20 min off either way delivers everything', async () => {
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, ahead));
    const input = linesOf(100, (i) => `ERROR order ${i === 37 ? POISON_ID : i} failed`);
    const r = await runCli(['run', '-c', file, '--once'], { input });
    // --once exits 4: an event went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    const stored = ahead.events('alibaba').map((e) => contentOf(e.event.Content));
    expect(stored).toHaveLength(99);
    expect(new Set(stored).size).toBe(99);
    expect(stored).not.toContain(`order ${POISON_ID} failed`);
    // The agent's clock is 20 min behind the provider's: refused as expired, then corrected. The
    // start-up check and the first request may both be signed before the correction: 1 or 2.
    expectCorrectedOnce(ahead.stats().alibaba.rejected);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'cms.invalid_event', event: { content: `order ${POISON_ID} failed` } });
    expect(dead[0]!.message).toMatch(/alibaba\.group_id/);

    const s2 = scratchDir();
    const r2 = await runCli(['run', '-c', s2.write('c.yaml', config(s2.dir, behind)), '--once'], {
      input: linesOf(100, (i) => `ERROR order ${i} failed`),
    });
    expect(r2.code, r2.stderr).toBe(0);
    expect(new Set(behind.events('alibaba').map((e) => contentOf(e.event.Content))).size).toBe(100);
    expectCorrectedOnce(behind.stats().alibaba.rejected);
    s.cleanup();
    s2.cleanup();
  }, 120_000);
});
