/**
 * Shared quota: several `log2events run --once` agents (the installed command over a fresh
 * bundle), each reading its own file of events, deliver to one emulator (in this process) whose
 * provider has a token-bucket quota. Prints per run:
 *
 * - goodput: requests the provider accepted ÷ what the quota allowed from the first request to
 *   the last delivery (the bucket's burst plus rps × that time). Throttled requests take no
 *   token; quota left unused while agents back off is what this loses.
 * - Jain's fairness index J = (Σx)² / (n·Σx²), 1 when all equal, 1/n when one takes all, over
 *   the events each agent delivered while all of them were sending (from the last agent's first
 *   delivery to the first agent's last). Every agent sends the same number of events, so totals
 *   are always equal and say nothing; the shares of the contended time are what differs, and
 *   agents that start a little apart (process start-up on a loaded machine) do not count as
 *   unfair. Also the index over the agents' completion times (time of each one's last delivery
 *   from the first request), which is 1 when all finish together.
 * - lost (an event of a file never accepted) and duplicated (accepted more than once).
 *
 *   node bench/quota.ts [--agents 4] [--events 4000] [--rps 10] [--burst RPS] [--provider alibaba|aws|ces] [--runs 3] [--timeline]
 *
 * `--timeline` also prints the accepted requests of each second, to see where quota went unused.
 *
 * The machine's load is printed with the figures; the agents and the emulator share its cores.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EMULATOR_CREDENTIALS, startEmulator, type Provider, type RunningEmulator } from '../src/emulator/index.ts';

const REPO = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '4' },
    events: { type: 'string', default: '4000' },
    rps: { type: 'string', default: '10' },
    burst: { type: 'string' },
    provider: { type: 'string', default: 'alibaba' },
    runs: { type: 'string', default: '3' },
    timeline: { type: 'boolean', default: false },
  },
});
const AGENTS = Number(values.agents);
const EVENTS = Number(values.events);
const RPS = Number(values.rps);
const BURST = values.burst === undefined ? Math.max(1, RPS) : Number(values.burst);
const RUNS = Number(values.runs);
const PROVIDER = values.provider as 'alibaba' | 'aws' | 'ces';
if (!['alibaba', 'aws', 'ces'].includes(PROVIDER)) throw new Error(`--provider must be alibaba, aws or ces, got ${PROVIDER}`);

const bundle = spawnSync(process.execPath, [join(REPO, 'scripts/bundle.js')], { encoding: 'utf8' });
if (bundle.status !== 0) throw new Error(`bundle failed:\n${bundle.stdout}${bundle.stderr}`);
const BIN = join(REPO, 'bin/log2events.js');
const NODE_FLAGS = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(BIN, 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

function sinkYaml(url: string): string {
  const c = EMULATOR_CREDENTIALS;
  switch (PROVIDER) {
    case 'alibaba':
      return `{ type: alibaba_cms, region: cn-hangzhou, endpoint: "${url}", credentials: { access_key_id: ${c.alibaba.accessKeyId}, access_key_secret: "${c.alibaba.accessKeySecret}" } }`;
    case 'aws':
      return `{ type: aws_eventbridge, region: us-east-1, endpoint: "${url}", credentials: { access_key_id: ${c.aws.accessKeyId}, secret_access_key: "${c.aws.secretAccessKey}" } }`;
    case 'ces':
      return `{ type: huawei_ces, endpoint: "${url}", region: r, project_id: ${c.huawei.projectId}, credentials: { ak: ${c.huawei.ak}, sk: ${c.huawei.sk} } }`;
  }
}

function agentConfig(dir: string, agent: number, url: string): string {
  const input = join(dir, `agent-${agent}.log`);
  let text = '';
  for (let i = 1; i <= EVENTS; i++) text += `agent-${agent} order ${i} failed\n`;
  writeFileSync(input, text);
  const path = join(dir, `agent-${agent}.yaml`);
  writeFileSync(
    path,
    `state_dir: ${join(dir, `agent-${agent}-state`)}
sources:
  app: { type: file, include: ["${input}"], format: plain, start_at: beginning }
sinks:
  out: ${sinkYaml(url)}
rules:
  - name: orders
    when: { body: 'agent-(?<agent>\\d+) order (?<id>\\d+) failed' }
    event: { name: OrderFailed, source: shop.orders, content: "agent-{{agent}} order {{id}}" }
    to: [out]
`,
  );
  return path;
}

function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
}

interface RunResult {
  goodput: number;
  jain: number;
  jainCompletion: number;
  lost: number;
  duplicated: number;
  seconds: number;
  accepted: number;
  throttled: number;
  shares: number[];
  completion: number[];
  started: number[];
  /** Accepted requests per second of the run. */
  perSecond: number[];
  exitCodes: (number | null)[];
}

async function runOnce(em: RunningEmulator, dir: string): Promise<RunResult> {
  const configs = Array.from({ length: AGENTS }, (_, a) => agentConfig(dir, a, em.url));
  em.reset();
  const logs: string[] = configs.map(() => '');
  const exits = await Promise.all(
    configs.map(
      (cfg, a) =>
        new Promise<number | null>((done) => {
          const child = spawn(process.execPath, [...NODE_FLAGS, BIN, 'run', '-c', cfg, '--once', '--once-timeout', '10m'], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.stdout.on('data', (d: Buffer) => (logs[a] += d.toString()));
          child.stderr.on('data', (d: Buffer) => (logs[a] += d.toString()));
          child.once('exit', (code) => done(code));
        }),
    ),
  );
  for (const [a, code] of exits.entries()) if (code !== 0) console.log(`agent ${a} exited ${code}:\n${logs[a]!.slice(-2000)}`);

  const seen = configs.map(() => new Map<number, number>());
  const requests = new Set<string>();
  const lastAt = configs.map(() => 0);
  const firstAt = configs.map(() => Infinity);
  const times: { agent: number; at: number }[] = [];
  let t0 = Infinity;
  let t1 = 0;
  for (const e of em.events(PROVIDER as Provider)) {
    const m = /agent-(\d+) order (\d+)/.exec(JSON.stringify(e.event));
    if (!m) continue;
    const agent = Number(m[1]);
    const id = Number(m[2]);
    const counts = seen[agent]!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    requests.add(e.request_id);
    t0 = Math.min(t0, e.received_at);
    t1 = Math.max(t1, e.received_at);
    lastAt[agent] = Math.max(lastAt[agent]!, e.received_at);
    firstAt[agent] = Math.min(firstAt[agent]!, e.received_at);
    times.push({ agent, at: e.received_at });
  }
  // The contended time: all agents sending, from the last one's first delivery to the first one's last.
  const contendedFrom = Math.max(...firstAt);
  const contendedUntil = Math.min(...lastAt);
  const shares = configs.map(() => 0);
  for (const t of times) if (t.at >= contendedFrom && t.at <= contendedUntil) shares[t.agent]! += 1;
  let lost = 0;
  let duplicated = 0;
  for (const counts of seen) {
    for (let i = 1; i <= EVENTS; i++) {
      const n = counts.get(i) ?? 0;
      if (n === 0) lost += 1;
      else duplicated += n - 1;
    }
  }
  const seconds = (t1 - t0) / 1000;
  const perSecond = Array.from({ length: Math.ceil(seconds) || 1 }, () => 0);
  const firstOf = new Map<string, number>();
  for (const e of em.events(PROVIDER as Provider)) if (!firstOf.has(e.request_id)) firstOf.set(e.request_id, e.received_at);
  for (const at of firstOf.values()) perSecond[Math.min(perSecond.length - 1, Math.floor((at - t0) / 1000))]! += 1;
  const stats = em.stats()[PROVIDER as Provider];
  const completion = lastAt.map((at) => (at - t0) / 1000);
  return {
    goodput: requests.size / (BURST + RPS * seconds),
    jain: jain(shares),
    jainCompletion: jain(completion),
    lost,
    duplicated,
    seconds,
    accepted: requests.size,
    throttled: stats.throttled,
    shares,
    completion,
    perSecond,
    started: firstAt.map((at) => (at - t0) / 1000),
    exitCodes: exits,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const em = await startEmulator({
  port: 0,
  config: { max_stored_events: AGENTS * EVENTS * 2, faults: { [PROVIDER]: { quota: { rps: RPS, burst: BURST } } } },
});
const dir = mkdtempSync(join(tmpdir(), 'l2e-quota-'));
console.log(
  `${AGENTS} agents × ${EVENTS} events → ${PROVIDER}, quota ${RPS} requests/s (burst ${BURST}); load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  'run | goodput | Jain (contended) | Jain (completion) | lost | dup | s | accepted req | throttled | shares while contended | first–last delivery s',
);
const results: RunResult[] = [];
try {
  for (let r = 1; r <= RUNS; r++) {
    for (let a = 0; a < AGENTS; a++) rmSync(join(dir, `agent-${a}-state`), { recursive: true, force: true });
    const x = await runOnce(em, dir);
    results.push(x);
    const total = x.shares.reduce((a, b) => a + b, 0) || 1;
    if (values.timeline) console.log(`  accepted requests per second: ${x.perSecond.join(' ')}`);
    console.log(
      `${r} | ${pct(x.goodput)} | ${x.jain.toFixed(3)} | ${x.jainCompletion.toFixed(3)} | ${x.lost} | ${x.duplicated} | ${x.seconds.toFixed(1)} | ${x.accepted} | ${x.throttled} | ${x.shares.map((s) => pct(s / total)).join(' ')} | ${x.completion.map((c, i) => `${x.started[i]!.toFixed(1)}–${c.toFixed(1)}`).join(' ')}`,
    );
  }
} finally {
  await em.close();
  rmSync(dir, { recursive: true, force: true });
}
const range = (f: (r: RunResult) => number, fmt: (x: number) => string) => {
  const xs = results.map(f).sort((a, b) => a - b);
  return `${fmt(xs[Math.floor((xs.length - 1) / 2)]!)} (${fmt(xs[0]!)}–${fmt(xs[xs.length - 1]!)})`;
};
console.log(
  `median (range): goodput ${range((r) => r.goodput, pct)}, Jain ${range(
    (r) => r.jain,
    (x) => x.toFixed(3),
  )}, lost ${range((r) => r.lost, String)}, dup ${range((r) => r.duplicated, String)}; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
