/**
 * Delivery benchmark: spool commit latency (p50/p99, synchronous FULL vs NORMAL, 1 and 100
 * events per commit) and end-to-end throughput spool → batcher → p-queue → `http` sink → a
 * loopback webhook (in a worker thread, answering 200 at once; no provider logic).
 *
 *   node bench/delivery.ts [events=100000]
 *
 * "live": sources commit (500 events per commit) while delivery runs; "held": the same with the
 * commits of a file source (replayable: delivered from memory, their offsets written once
 * delivered, see src/delivery/ack-tracker.ts); "prespooled": the spool is filled first, then
 * delivered (a restart after an outage). Figures depend on the disk's
 * fsync cost (synchronous=FULL) and on the machine's load, which is printed with them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { DeliveryEngine } from '../src/delivery/engine.ts';
import { sinkCommonShape } from '../src/sinks/common-options.ts';
import type { SpoolLimits } from '../src/delivery/spool-intake.ts';
import type { Event } from '../src/model/event.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { HttpSink } from '../src/sinks/http/http-sink.ts';
import { StateStore, type Synchronous } from '../src/store/state-store.ts';

const TOTAL = Number(process.argv[2] ?? 100_000);
const SPOOL: SpoolLimits = { max_events: 100_000, max_bytes: 256 * 1024 * 1024, full_policy: 'block' };

let n = 0;
function makeEvent(): Event {
  n += 1;
  return {
    id: `bench-${n}-${'x'.repeat(24)}`,
    rule: 'payment_failed',
    name: 'PaymentFailed',
    source: 'shop.payments',
    time: Date.now(),
    severity: 'Major',
    state: 'incident',
    action: 'raise',
    content: `payment failed for order ${n} on pod checkout-7f9c8d6b5-abcde: upstream timeout after 3000 ms (attempt 3 of 3)`,
    resource: { id: 'checkout-7f9c8d6b5-abcde', type: 'pod' },
    dimensions: { order_id: String(n) },
    attributes: { 'k8s.namespace.name': 'shop' },
    key: `order-${n}`,
    to: ['loop'],
    overrides: {},
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'l2e-bench-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Latency of `Intake.commit` (serialise + one transaction with a checkpoint), nothing delivering. */
function commitLatency(sync: Synchronous, perCommit: number, commits: number): { p50: number; p99: number; eventsPerSec: number } {
  const t = tmp();
  const store = StateStore.open(t.dir, { synchronous: sync });
  // A sink that is never started: entries stay spooled, only the commit is measured.
  const idle = new HttpSink('loop', { url: 'http://127.0.0.1:9/', headers: {}, max_entries: 100, max_bytes: 1024 * 1024 });
  const options = z.strictObject(sinkCommonShape()).parse({});
  const big = { ...SPOOL, max_events: 10_000_000, max_bytes: 10 * 1024 ** 3 };
  const engine = new DeliveryEngine({
    store,
    sinks: new Map([['loop', { sink: idle, options }]]),
    spool: big,
    logger: silentLogger,
    metrics: new Metrics(),
  });
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < commits; i++) {
    const events = Array.from({ length: perCommit }, makeEvent);
    const t0 = performance.now();
    const r = engine.intake.commit(events, [{ source: 'bench', key: 'file', value: String(i) }]);
    samples.push(performance.now() - t0);
    if (!r.ok) throw new Error(`commit refused: ${r.reason}`);
  }
  const elapsed = (performance.now() - started) / 1000;
  store.close();
  t.done();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), eventsPerSec: (commits * perCommit) / elapsed };
}

const RECEIVER = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
let events = 0, requests = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    events += body.events.length; requests++;
    res.writeHead(200); res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => { if (m === 'stats') parentPort.postMessage({ events, requests }); });
`;

async function startReceiver(): Promise<{
  url: string;
  stats: () => Promise<{ events: number; requests: number }>;
  stop: () => Promise<number>;
}> {
  const worker = new Worker(RECEIVER, { eval: true });
  const port = await new Promise<number>((resolve) => worker.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    url: `http://127.0.0.1:${port}/events`,
    stats: () =>
      new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage('stats');
      }),
    stop: () => worker.terminate(),
  };
}

async function throughput(mode: 'live' | 'held' | 'prespooled', concurrency: number | 'adaptive', url: string, sync: Synchronous) {
  const t = tmp();
  const store = StateStore.open(t.dir, { synchronous: sync });
  const options = z.strictObject(sinkCommonShape()).parse({ concurrency });
  const sink = new HttpSink('loop', { url, headers: {}, max_entries: 100, max_bytes: 1024 * 1024 });
  const engine = new DeliveryEngine({
    store,
    sinks: new Map([['loop', { sink, options }]]),
    spool: SPOOL,
    logger: silentLogger,
    metrics: new Metrics(),
  });
  const commitAll = async () => {
    for (let i = 0; i < TOTAL; i += 500) {
      const events = Array.from({ length: Math.min(500, TOTAL - i) }, makeEvent);
      for (;;) {
        const r = engine.intake.commit(events, [{ source: 'bench', key: 'file', value: String(i) }], { replayable: mode === 'held' });
        if (r.ok) break;
        await engine.intake.waitForRoom();
      }
      // Let delivery run between commits, as a real source yields between reads.
      await new Promise((r) => setImmediate(r));
    }
  };
  let started: number;
  let cpu: NodeJS.CpuUsage;
  if (mode === 'prespooled') {
    await commitAll();
    started = performance.now();
    cpu = process.cpuUsage();
    engine.start();
  } else {
    started = performance.now();
    cpu = process.cpuUsage();
    engine.start();
    await commitAll();
  }
  const drained = await engine.flush(300_000);
  const secs = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await engine.stop(1000);
  store.close();
  t.done();
  if (!drained) throw new Error('delivery did not finish');
  // CPU of this process (the receiver runs in a worker thread of it, so it is included).
  return { eventsPerSec: TOTAL / secs, cpuUsPerEvent: (used.user + used.system) / TOTAL };
}

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
console.log(
  `log2events delivery benchmark — node ${process.version}, ${TOTAL} events of ~${Buffer.byteLength(JSON.stringify(makeEvent()))} bytes, ${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)}\n`,
);
console.log('spool commit latency (one transaction: events + one checkpoint)');
for (const sync of ['FULL', 'NORMAL'] as const) {
  for (const [per, commits] of [
    [1, 2000],
    [100, 500],
  ] as const) {
    const r = commitLatency(sync, per, commits);
    console.log(
      `  synchronous=${sync.padEnd(6)} ${String(per).padStart(3)} event(s)/commit: p50 ${fmt(r.p50)}  p99 ${fmt(r.p99)}  (${Math.round(r.eventsPerSec)} events/s)`,
    );
  }
}
const receiver = await startReceiver();
console.log('\nthroughput spool → batcher → http sink → loopback receiver (100 events/request)');
for (const sync of ['FULL', 'NORMAL'] as const) {
  for (const [mode, conc] of [
    ['live', 8],
    ['live', 'adaptive'],
    ['held', 8],
    ['prespooled', 8],
  ] as const) {
    const r = await throughput(mode, conc, receiver.url, sync);
    console.log(
      `  synchronous=${sync.padEnd(6)} ${mode.padEnd(10)} concurrency=${String(conc).padEnd(8)} ${String(Math.round(r.eventsPerSec)).padStart(6)} events/s  ${r.cpuUsPerEvent.toFixed(1)} µs CPU/event`,
    );
  }
}
const stats = await receiver.stats();
console.log(`\nreceiver saw ${stats.events} events in ${stats.requests} requests`);
await receiver.stop();
