/**
 * The OTLP fuzzer of test/otlp/fuzz.test.ts for longer runs, against a running agent
 * (`log2events run` from src/, an otlp source, a catch-all rule, a file sink):
 *
 *   node bench/otlp-fuzz.ts [--cases 100000] [--seed N] [--concurrency 8]
 *
 * Fails (exit 1) on any 5xx, a well-formed request refused or over-rejected, an accepted record
 * not delivered, or a /healthz answer slower than 100 ms; prints the seed, the cases by
 * transport and status, the /healthz latencies and the agent's peak RSS. /healthz is polled from
 * a separate process every 10 ms; on a machine loaded beyond its cores a process can wait
 * longer than 100 ms for a CPU without its event loop being blocked: compare with the load.
 */
import { readFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { scratchDir } from '../test/helpers/cli.ts';
import { metricSum, startOtlpAgent } from '../test/helpers/otlp-agent.ts';
import { fuzz, healthProbe } from '../test/helpers/otlp-fuzz.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    concurrency: { type: 'string', default: '8' },
  },
});
const seed = Number(values.seed);
const cases = Number(values.cases);
const HEALTHZ_TARGET_MS = 100;

const scratch = scratchDir('l2e-otlp-fuzz-bench-');
const agent = await startOtlpAgent(scratch.dir, scratch.write, {
  rest: `delivery: { spool: { synchronous: NORMAL } }
rules:
  - name: every_record
    event: { name: Fuzzed, content: "{{body}}" }
    to: [out]
`,
});
const { adminUrl, out } = agent;
const pid = agent.child.pid!;
let peakRssKiB = 0;
const rssTimer = setInterval(() => {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m) peakRssKiB = Number(m[1]);
}, 500);

console.log(`OTLP fuzz bench: seed ${seed}, ${cases} cases, node ${process.version}, load ${loadavg()[0]!.toFixed(2)}`);
const probe = healthProbe(`${adminUrl}/healthz`);
const started = performance.now();
const report = await fuzz({
  seed,
  cases,
  concurrency: Number(values.concurrency),
  httpUrl: agent.httpUrl,
  grpcTarget: `127.0.0.1:${agent.grpcPort}`,
});
const seconds = (performance.now() - started) / 1000;
const health = await probe.stop();

const accepted = await metricSum(adminUrl, 'log2events_otlp_records_accepted_total');
let delivered: string[] = [];
for (let i = 0; i < 600 && delivered.length < accepted; i++) {
  if (existsSync(out))
    delivered = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { content: string }).content);
  if (delivered.length < accepted) await new Promise((r) => setTimeout(r, 100));
}
const deliveredSet = new Set(delivered);
const missing = [...report.expectedGood].filter((g) => !deliveredSet.has(g));
clearInterval(rssTimer);
agent.child.kill('SIGTERM');
const code = await agent.exited;
scratch.cleanup();

console.log(
  `cases ${report.cases} in ${seconds.toFixed(1)} s (${Math.round(report.cases / seconds)}/s) ${JSON.stringify(report.byTransport)}`,
);
console.log(
  `statuses ${JSON.stringify(report.statuses)}; records rejected ${report.rejectedRecords}; accepted ${accepted}, delivered ${delivered.length}, good records missing ${missing.length}`,
);
console.log(
  `/healthz: ${health.answers} answers, ${health.failures} failed, p99 ${health.p99Ms.toFixed(1)} ms, max ${health.maxMs.toFixed(1)} ms (target ${HEALTHZ_TARGET_MS} ms)`,
);
console.log(`agent peak RSS ${(peakRssKiB / 1024).toFixed(0)} MiB; exit on SIGTERM ${code}`);
for (const f of report.failures.slice(0, 20)) console.log(`FAIL ${f}`);
for (const m of missing.slice(0, 20)) console.log(`MISSING ${m}`);
const ok =
  report.failures.length === 0 &&
  missing.length === 0 &&
  delivered.length === accepted &&
  health.failures === 0 &&
  health.maxMs < HEALTHZ_TARGET_MS &&
  code === 0;
console.log(ok ? 'OK' : `FAILED (seed ${seed})`);
process.exitCode = ok ? 0 : 1;
