import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { deadLetters, linesOf, requestSizes } from './cloud-harness.ts';

/**
 * The EventBridge sink end to end, through a real `log2events run`: two sinks, each against an
 * emulated EventBridge whose clock is 20 minutes off the agent's (one ahead, one behind). The
 * pure logic (validators, request builder, classifier, skew handling, limits, credentials) is
 * tested in-process under test/sinks/aws-eventbridge/.
 */
const AWS = EMULATOR_CREDENTIALS.aws;
let ahead: RunningEmulator;
let behind: RunningEmulator;
beforeAll(async () => {
  [ahead, behind] = await Promise.all([
    startEmulator({ port: 0, config: { clock_offset: '20m' } }),
    startEmulator({ port: 0, config: { clock_offset: '-20m' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([ahead.close(), behind.close()]);
});

const sinkYaml = (name: string, url: string) => `  ${name}:
    type: aws_eventbridge
    region: us-east-1
    endpoint: ${url}
    event_bus: orders
    credentials: { access_key_id: ${AWS.accessKeyId}, secret_access_key: "${AWS.secretAccessKey}" }
    batch: { linger: 50ms }
    concurrency: 2
    retry: { initial: 50ms, max: 500ms, max_elapsed: 1m }
`;

describe('aws_eventbridge end to end', () => {
  it('delivers every event from an agent whose clock is 20 min off either way; a poison event is dead-lettered alone', async () => {
    const s = scratchDir();
    const file = s.write(
      'c.yaml',
      `state_dir: ${s.dir}/state
sources: { in: { type: stdin } }
sinks:
${sinkYaml('ahead', ahead.url)}${sinkYaml('behind', behind.url)}
rules:
  - name: orders
    when: { body: 'order (?<id>\\d+) (?<kind>\\w+)' }
    event:
      name: OrderFailed
      source: shop.orders
      content: "order {{id}} {{kind}}"
      resource: { id: "arn:aws:shop:us-east-1:123456789012:order/{{id}}" }
      aws: { detail_type: "Order{{kind}}" }
    to: [ahead, behind]
`,
    );
    // Line 50 renders a DetailType of 205 characters: PutEvents allows 128.
    const input = linesOf(100, (i) => `ERROR order ${i} ${i === 50 ? 'x'.repeat(200) : 'failed'}`);
    const r = await runCli(['run', '-c', file, '--once'], { input, timeoutMs: 90_000 });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);

    for (const emu of [ahead, behind]) {
      const stored = emu.events('aws').map((e) => e.event);
      expect(new Set(stored.map((e) => JSON.parse(e.Detail!).content as string)).size).toBe(99);
      expect(stored[0]).toMatchObject({ Source: 'shop.orders', DetailType: 'Orderfailed', EventBusName: 'orders' });
      expect(stored[0]!.Resources![0]).toMatch(/^arn:aws:shop:us-east-1:123456789012:order\/\d+$/);
      expect(requestSizes(emu, 'aws').every((n) => n <= 10)).toBe(true);
      // Refused as AWS refuses a skewed signature, then signed on the provider's clock.
      expect(emu.stats().aws.rejected.InvalidSignatureException).toBeGreaterThan(0);
    }
    const dead = await deadLetters(file);
    expect(dead.map((d) => d.sink).sort()).toEqual(['ahead', 'behind']);
    for (const d of dead) {
      expect(d).toMatchObject({ code: 'InvalidArgument', attempts: 0 });
      expect(d.message).toContain('aws.detail_type');
      expect(d.event.content).toBe(`order 50 ${'x'.repeat(200)}`);
    }
    s.cleanup();
  }, 120_000);
});
