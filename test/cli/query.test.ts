import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.ts';
import { startEmulator, EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { runQuery } from '../helpers/query.ts';

/**
 * `log2events query`: events delivered by a real `log2events run` to the emulator's Cloud Eye,
 * then read back through ListEvents / ListEventDetail with the sink's endpoint and credentials.
 */
let emulator: RunningEmulator;
const s = scratchDir();
const HW = EMULATOR_CREDENTIALS.huawei;
let file = '';
let delivered = 0;

/** `target` says where the sink sends: the emulator by default, the real cloud with ''. */
function config(auth: string, target = `project_id: ${HW.projectId}, endpoint: ${emulator.url}, `): string {
  return `state_dir: ${s.dir}/state
sources: { in: { type: stdin } }
sinks:
  ces: { type: huawei_ces, region: cn-north-4, ${target}${auth} batch: { linger: 20ms } }
  out: { type: stdout }
rules:
  - name: failures
    when: { body: '(?<what>Order|Disk)(?<id>\\d+) (?<msg>.*)' }
    event: { name: "{{what}}Failed", source: "shop.{{what}}", content: "{{msg}}", resource: { id: "r{{id}}" } }
    to: [ces]
`;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  file = s.write('c.yaml', config(`credentials: { ak: ${HW.ak}, sk: "${HW.sk}" },`));
  delivered = Date.now();
  const r = await runCli(['run', '-c', file, '--once'], { input: 'Order1 paid twice\nOrder2 lost\nDisk7 full\nOrder3 stuck\n' });
  expect(r.code, r.stderr).toBe(0);
  expect(emulator.events('ces')).toHaveLength(4);
});
afterAll(async () => {
  await emulator.close();
  s.cleanup();
});

const query = runQuery;

describe('log2events query', () => {
  it('lists the aggregates Cloud Eye keeps per event name (ListEvents) as a table', async () => {
    const r = await query(['-c', file, '--sink', 'ces']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // Cloud Eye lists SUB_EVENT.OPS unless asked: query asks for the custom events and says so.
    expect(lines[0]).toBe('Listing sub_event_type SUB_EVENT.CUSTOM (the custom events log2events reports; --sub-event-type to change)');
    expect(lines[1]).toMatch(/^EVENT NAME\s+TYPE\s+SUB TYPE\s+COUNT\s+LATEST\s+SOURCE$/);
    expect(r.stdout).toMatch(/OrderFailed\s+EVENT\.CUSTOM\s+SUB_EVENT\.CUSTOM\s+3\s+\S+Z\s+shop\.Order/);
    expect(r.stdout).toMatch(/DiskFailed\s+EVENT\.CUSTOM\s+SUB_EVENT\.CUSTOM\s+1\s+\S+Z\s+shop\.Disk/);
    expect(lines.at(-1)).toBe('(2 of 2)');
  });

  it('--sub-event-type lists another sub-type, and says which', async () => {
    const ops = await query(['-c', file, '--sub-event-type', 'SUB_EVENT.OPS']);
    expect(ops.code, ops.stderr).toBe(0);
    expect(ops.stdout).toBe('Listing sub_event_type SUB_EVENT.OPS\nno events (total 0)\n');
    const sys = await query(['-c', file, '--event-type', 'EVENT.SYS', '--json']);
    expect(sys.stderr).toBe("log2events query: listing sub_event_type SUB_EVENT.OPS (Cloud Eye's default)\n");
    expect(JSON.parse(sys.stdout).events).toEqual([]);
    await expect(query(['-c', file, '--sub-event-type', 'SUB_EVENT.X'])).rejects.toThrow(
      /--sub-event-type must be one of SUB_EVENT.OPS, SUB_EVENT.PLAN, SUB_EVENT.CUSTOM/,
    );
  });

  it('prints the answer as JSON and filters by name and time (ms or ISO)', async () => {
    const r = await query([
      '-c',
      file,
      '--event-name',
      'OrderFailed',
      '--from',
      new Date(delivered - 60_000).toISOString(),
      '--to',
      String(Date.now() + 60_000),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout);
    expect(answer.meta_data).toEqual({ total: 1 });
    expect(answer.events).toEqual([
      expect.objectContaining({ event_name: 'OrderFailed', event_count: 3, latest_event_source: 'shop.Order' }),
    ]);
    const none = await query(['-c', file, '--to', String(delivered - 60_000), '--json']);
    expect(JSON.parse(none.stdout).events).toEqual([]);
  });

  it('lists single events of one name with --detail (ListEventDetail), paged by --start/--limit', async () => {
    const r = await query(['-c', file, '--detail', 'OrderFailed']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Listing sub_event_type SUB_EVENT.CUSTOM .*\nEVENT ID\s+TIME\s+SOURCE\s+LEVEL\s+STATE\s+RESOURCE\s+CONTENT/);
    for (const c of ['paid twice', 'lost', 'stuck']) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/ev\w+\s+\S+Z\s+shop\.Order\s+Info\s+normal\s+r\d\s+/);
    const page = JSON.parse((await query(['-c', file, '--detail', 'OrderFailed', '--start', '1', '--limit', '1', '--json'])).stdout);
    expect(page.meta_data.total).toBe(3);
    expect(page.event_info).toHaveLength(1);
  });

  it('--emulator-url points a sink configured for the real cloud at an emulator, with its credentials', async () => {
    const cloud = s.write('cloud.yaml', config('', ''));
    const r = await query(['-c', cloud, '--emulator-url', emulator.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    // the emulator's own project holds the events delivered above
    expect(JSON.parse(r.stdout).meta_data.total).toBe(2);
  });

  it("answers from a Cloud Eye whose clock is 20 minutes off (signs again with the gateway's time)", async () => {
    const skewed = await startEmulator({ port: 0, config: { clock_offset: '20m' } });
    try {
      const r = await query(['-c', file, '--emulator-url', skewed.url, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).events).toEqual([]);
      expect(skewed.stats().ces.rejected).toMatchObject({ 'APIGW.0301': 1 });
    } finally {
      await skewed.close();
    }
  });

  it("fails with Cloud Eye's code and message when the credentials are refused", async () => {
    const bad = s.write('bad.yaml', config(`credentials: { ak: ${HW.ak}, sk: wrong },`));
    const r = await query(['-c', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 401 APIGW\.0301: .*signature/);
  });

  it('checks its flags strictly', async () => {
    await expect(query(['-c', file, '--limit', '0'])).rejects.toThrow(UsageError);
    await expect(query(['-c', file, '--from', 'yesterday'])).rejects.toThrow(/--from must be epoch milliseconds or an ISO 8601 time/);
    await expect(query(['-c', file, '--from', '2000', '--to', '1000'])).rejects.toThrow(/--from must be earlier than --to/);
    await expect(query(['-c', file, '--sink', 'out'])).rejects.toThrow(/sink "out" is stdout/);
    await expect(query(['-c', file, '--bogus'])).rejects.toThrow(UsageError);
    const help = await query(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: log2events query -c FILE/);
  });
});
