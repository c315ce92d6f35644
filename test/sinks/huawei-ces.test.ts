import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { deadLetters } from './cloud-harness.ts';

/**
 * The Cloud Eye sink end to end: a real `log2events run --once` against the emulator. Unit-level
 * behaviour (rules, fixes, classification, identity times) is tested in-process under huawei-ces/.
 */
const HW = EMULATOR_CREDENTIALS.huawei;
const KNOWN_GROUP = 'rg15221211517051YWWkEnVd';
const UNKNOWN_GROUP = 'rg000000000000000000000x';

function config(dir: string, url: string): string {
  return `state_dir: ${dir}/state
sources: { in: { type: stdin } }
sinks:
  ces:
    type: huawei_ces
    region: cn-north-4
    project_id: ${HW.projectId}
    endpoint: ${url}
    credentials: { ak: ${HW.ak}, sk: "${HW.sk}" }
    batch: { linger: 50ms }
    concurrency: 2
    retry: { initial: 50ms, max: 500ms, max_elapsed: 2m }
rules:
  - name: orders
    when: { body: '^(?<ts>\\S+) ERROR order (?<id>\\d+) failed group=(?<grp>\\S+)$' }
    event:
      name: OrderFailed
      source: shop.orders
      time: "{{ts}}"
      content: "order {{id}} failed"
      resource: { id: "shop-db", name: "shop-db" }
      dimensions: { "k8s.node": node-1, service: shop }
      huawei_ces: { group_id: "{{grp}}" }
    to: [ces]
`;
}

const line = (ts: number, id: number, group = KNOWN_GROUP) => `${new Date(ts).toISOString()} ERROR order ${id} failed group=${group}`;

async function withEmulator<T>(config: Parameters<typeof startEmulator>[0], body: (em: RunningEmulator) => Promise<T>): Promise<T> {
  const em = await startEmulator(config);
  try {
    return await body(em);
  } finally {
    await em.close();
  }
}

describe('huawei_ces through log2events run', () => {
  let em: RunningEmulator;
  beforeAll(async () => {
    em = await startEmulator({ port: 0, config: { limits: { ces: { max_events: 100 } } } });
  });
  afterAll(() => em.close());

  it('one poison among 100 → 99 delivered and 1 dead letter naming the field; 1,000 same-second lines → 1,000 stored; 100 two-hour-old lines → 100 stored', async () => {
    const s = scratchDir();
    const now = Date.now();
    const sameSecond = Math.floor((now - 5 * 60_000) / 1000) * 1000;
    const lines = [
      ...Array.from({ length: 100 }, (_, i) => line(now, i + 1, i === 41 ? UNKNOWN_GROUP : KNOWN_GROUP)),
      ...Array.from({ length: 1000 }, (_, i) => line(sameSecond, 1001 + i)),
      ...Array.from({ length: 100 }, (_, i) => line(now - 2 * 3_600_000, 3001 + i)),
    ];
    const file = s.write('c.yaml', config(s.dir, em.url));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines.join('\n') + '\n', timeoutMs: 120_000 });
    // --once exits 4: an event went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    const stored = em.events('ces').map((e) => e.event);
    const ids = (from: number, to: number) =>
      stored.filter(
        (e) =>
          Number(/order (\d+)/.exec(e.detail.content ?? '')?.[1]) >= from && Number(/order (\d+)/.exec(e.detail.content ?? '')?.[1]) <= to,
      );
    expect(ids(1, 100)).toHaveLength(99);
    expect(ids(1001, 2000)).toHaveLength(1000);
    expect(new Set(ids(1001, 2000).map((e) => e.time)).size).toBe(1000);
    expect(ids(3001, 3100)).toHaveLength(100);
    expect(stored).toHaveLength(1199);
    // The k8s.node dimension is renamed, not refused; its original name is kept in the content.
    expect(stored[0]!.detail.dimensions?.[0]).toEqual({ name: 'k8s_node', value: 'node-1' });
    expect(stored[0]!.detail.content).toMatch(/\[log2events fixed: dimension k8s_node "k8s\.node"\]/);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ sink: 'ces', code: 'ces.0014', event: { content: 'order 42 failed' } });
    expect(dead[0]!.message).toMatch(/detail\.group_id "rg000000000000000000000x" does not exist/);
    s.cleanup();
  }, 150_000);

  it.each(['20m', '-20m'])(
    "an agent whose clock is %s off Cloud Eye's gets every event delivered",
    async (offset) => {
      await withEmulator({ port: 0, config: { clock_offset: offset } }, async (skewed) => {
        const s = scratchDir();
        const now = Date.now();
        const file = s.write('c.yaml', config(s.dir, skewed.url));
        const r = await runCli(['run', '-c', file, '--once'], {
          input: Array.from({ length: 50 }, (_, i) => line(now, i + 1)).join('\n') + '\n',
          timeoutMs: 120_000,
        });
        expect(r.code, r.stderr).toBe(0);
        expect(skewed.events('ces')).toHaveLength(50);
        expect(skewed.stats().ces.rejected).toMatchObject({ 'APIGW.0301': expect.any(Number) });
        expect(await deadLetters(file)).toEqual([]);
        s.cleanup();
      });
    },
    150_000,
  );
});
