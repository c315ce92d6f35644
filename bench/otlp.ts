/**
 * OTLP receiver throughput, in records per second per core (CPU-seconds based).
 *
 *   node bench/otlp.ts [--seconds 3] [--connections 8]
 *
 * Requests carry 500 records each (5 attributes, 3 resource attributes, trace context); 1% of
 * the records match the rule set (one of its three rules). For each encoding it prints:
 *   decode only     protobuf/JSON → LogRecord[] (the baseline: what the wire format costs)
 *   decode + rules  the receiver's export handler: decode, map, rules, commit to an in-memory intake
 *   HTTP            the whole OTLP/HTTP receiver, load from a child process over keep-alive
 *                   loopback connections; only this process's CPU time is counted
 * The spool is replaced by an in-memory intake everywhere, so the figures are the receiver's
 * own cost (the spool's commit cost is measured by its own benchmark).
 *
 * This process runs with V8's defaults: the `throughput` runtime profile, the one the installed
 * command picks for a config with an `otlp` source (src/cli/runtime-profile.ts). Run it as
 * `node --max-semi-space-size=2 --max-opt=2 --no-concurrent-recompilation bench/otlp.ts` to see
 * the `lean` profile's figures (why OTLP does not run lean).
 *
 * Results (2026-11-25, Node 24.21, 2 vCPUs, load ~1.2; `--seconds 5`, two runs), records/s per core:
 *   encoding   decode only      decode + rules   HTTP end-to-end
 *   protobuf   457,068-495,377  439,618-450,725  354,743-362,622
 *   json       174,684-183,341  156,671-161,697  108,552-129,068
 * Lean profile (one run): protobuf 83,985 / 81,355 / 65,132; JSON 98,373 / 111,434 / 81,729.
 * Target: ≥ 150,000 protobuf records/s per core through the receiver: met (throughput profile).
 * Before AnyValue was declared without `oneof` (see proto/schema.ts) protobuf decode + rules was
 * ~205,000.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { loadConfigText } from '../src/agent/load-config.ts';
import { RuleRunner } from '../src/rules/rule-runner.ts';
import type { Event } from '../src/model/event.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { decodeRequest, type Encoding } from '../src/sources/otlp/codec.ts';
import { BodyBudget } from '../src/sources/otlp/body-budget.ts';
import { ExportHandler } from '../src/sources/otlp/export-handler.ts';
import { OtlpHttpReceiver } from '../src/sources/otlp/http-server.ts';
import { ExportLogsServiceRequestType } from '../src/sources/otlp/proto/schema.ts';
import { mapExportRequest } from '../src/sources/otlp/records.ts';
import type { CommitResult, Intake, SourceContext } from '../src/sources/source.ts';

const RECORDS_PER_REQUEST = 500;
const MATCH_EVERY = 100;

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    child: { type: 'string' },
  },
});

// ---------------------------------------------------------------- request bodies

function requestObject(seed: number) {
  const hex = (n: number, len: number) => (n.toString(16) + 'a5'.repeat(len)).slice(0, len);
  const logRecords = [];
  for (let i = 0; i < RECORDS_PER_REQUEST; i++) {
    const n = seed * RECORDS_PER_REQUEST + i;
    const match = n % MATCH_EVERY === 0;
    logRecords.push({
      timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) * 1000n),
      observedTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) * 1000n + 500n),
      severityNumber: match ? 17 : 9,
      severityText: match ? 'ERROR' : 'INFO',
      body: {
        stringValue: match ? `payment failed for order ${n}: card declined` : `GET /api/v1/items/${n} 200 in ${n % 97}ms user=u${n % 1000}`,
      },
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: '/api/v1/items/:id' } },
        { key: 'http.response.status_code', value: { intValue: 200 } },
        { key: 'user.id', value: { stringValue: `u${n % 1000}` } },
        { key: 'duration_ms', value: { doubleValue: (n % 97) + 0.25 } },
      ],
      traceId: hex(n, 32),
      spanId: hex(n, 16),
      flags: 1,
    });
  }
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'shop' } },
            { key: 'k8s.pod.name', value: { stringValue: 'shop-7d9f-x2' } },
            { key: 'host.name', value: { stringValue: 'node-3' } },
          ],
        },
        scopeLogs: [{ scope: { name: 'http', version: '1.0.0' }, logRecords }],
      },
    ],
  };
}

function protobufBody(seed: number): Uint8Array {
  const obj = requestObject(seed);
  // OTLP/JSON carries ids as hex; the protobuf message carries the bytes.
  for (const r of obj.resourceLogs[0]!.scopeLogs[0]!.logRecords as Record<string, unknown>[]) {
    r.traceId = Buffer.from(r.traceId as string, 'hex');
    r.spanId = Buffer.from(r.spanId as string, 'hex');
  }
  return ExportLogsServiceRequestType.encode(ExportLogsServiceRequestType.fromObject(obj)).finish();
}

function jsonBody(seed: number): Uint8Array {
  return Buffer.from(JSON.stringify(requestObject(seed)));
}

const BODIES = 16;
const bodies: Record<Encoding, Uint8Array[]> = {
  protobuf: Array.from({ length: BODIES }, (_, i) => protobufBody(i)),
  json: Array.from({ length: BODIES }, (_, i) => jsonBody(i)),
};

// ---------------------------------------------------------------- load generator (child)

if (opts.child) {
  const { port, encoding, seconds, connections } = JSON.parse(opts.child) as {
    port: number;
    encoding: Encoding;
    seconds: number;
    connections: number;
  };
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const until = Date.now() + seconds * 1000;
  let sent = 0;
  let failed = 0;
  const send = (body: Uint8Array) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/logs',
          method: 'POST',
          agent,
          headers: {
            'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
            'content-length': body.byteLength,
          },
        },
        (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let i = c; Date.now() < until; i++) {
        await send(bodies[encoding][i % BODIES]!);
        sent++;
      }
    }),
  );
  process.send!({ sent, failed });
  process.exit(0);
}

// ---------------------------------------------------------------- receiver side

const RULES = `
rules:
  - name: payment_failed
    when: { severity: ">= ERROR", body: 'payment failed for order (?<order_id>\\d+)' }
    event: { name: PaymentFailed, source: shop.payments, severity: Major, content: "order {{order_id}} on {{resource.service.name}}" }
    to: [out]
  - name: oom
    when: { contains: OutOfMemoryError }
    event: { name: OutOfMemory, source: shop.runtime, content: "{{body}}" }
    to: [out]
  - name: disk_recovered
    when: { body: 'disk usage back to normal on (?<host>\\S+)' }
    event: { name: DiskFull, action: clear, resource: { id: "{{host}}" } }
    to: [out]
sinks: { out: { type: stdout } }
sources: { otlp: { type: otlp } }
`;

const loaded = loadConfigText(RULES, 'bench-rules.yaml');
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
const rules = new RuleRunner(loaded.config.compiled);

/** Counts committed events; always has room. */
class MemoryIntake implements Intake {
  events = 0;
  commit(events: readonly Event[]): CommitResult {
    this.events += events.length;
    return { ok: true };
  }
  waitForRoom(): Promise<void> {
    return Promise.resolve();
  }
  checkpoints(): Map<string, string> {
    return new Map();
  }
  forgetCheckpoints(): void {}
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/** Runs `fn` over the bodies for `seconds` of wall time; records per CPU-second. */
async function loop(encoding: Encoding, seconds: number, fn: (body: Uint8Array) => void | Promise<void>): Promise<number> {
  for (let i = 0; i < BODIES * 4; i++) await fn(bodies[encoding][i % BODIES]!); // warm up the JIT
  const start = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  let requests = 0;
  while (performance.now() < until) {
    await fn(bodies[encoding][requests % BODIES]!);
    requests++;
  }
  return (requests * RECORDS_PER_REQUEST) / cpuSeconds(start);
}

function decodeOnly(body: Uint8Array, encoding: Encoding): void {
  const d = decodeRequest(body, encoding);
  if (!d.ok) throw new Error(d.message);
  const mapped = mapExportRequest(d.request, { originPrefix: 'otlp:bench', nowUnixNano: 0n });
  if (mapped.records.length !== RECORDS_PER_REQUEST) throw new Error(`decoded ${mapped.records.length} records`);
}

function handlerContext(): { ctx: SourceContext; intake: MemoryIntake } {
  const intake = new MemoryIntake();
  return { ctx: { processor: rules, intake, logger: silentLogger, signal: new AbortController().signal }, intake };
}

async function overHttp(
  encoding: Encoding,
  seconds: number,
  connections: number,
): Promise<{ perCore: number; cpu: number; records: number; failed: number }> {
  const { ctx, intake } = handlerContext();
  const handler = new ExportHandler('otlp', ctx, new Metrics());
  const receiver = new OtlpHttpReceiver(
    {
      listen: { host: '127.0.0.1', port: 0 },
      maxBody: 16 * 1024 * 1024,
      budget: new BodyBudget(64 * 1024 * 1024),
      requestTimeoutMs: 30_000,
    },
    handler,
    silentLogger,
  );
  const { port } = await receiver.start();
  const child = fork(import.meta.filename, ['--child', JSON.stringify({ port, encoding, seconds, connections })], { stdio: 'inherit' });
  const start = process.cpuUsage();
  const report = await new Promise<{ sent: number; failed: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { sent: number; failed: number }));
    child.once('error', reject);
  });
  const cpu = cpuSeconds(start);
  await receiver.stop();
  const records = report.sent * RECORDS_PER_REQUEST;
  const expectedEvents = (report.sent - report.failed) * (RECORDS_PER_REQUEST / MATCH_EVERY);
  if (report.failed > 0 || intake.events !== expectedEvents)
    throw new Error(`HTTP run: ${report.failed} failed requests, ${intake.events} events (expected ${expectedEvents})`);
  return { perCore: records / cpu, cpu, records, failed: report.failed };
}

const seconds = Number(opts.seconds);
const connections = Number(opts.connections);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
console.log(`OTLP receiver, ${RECORDS_PER_REQUEST} records/request, 1 in ${MATCH_EVERY} records matches; node ${process.version}`);
console.log(
  `body sizes: protobuf ${(bodies.protobuf[0]!.byteLength / 1024).toFixed(0)} KiB, JSON ${(bodies.json[0]!.byteLength / 1024).toFixed(0)} KiB per request`,
);
console.log('records/s per core (CPU-seconds based):');
console.log('encoding     decode only   decode + rules   HTTP end-to-end');
for (const encoding of ['protobuf', 'json'] as const) {
  const decode = await loop(encoding, seconds, (b) => decodeOnly(b, encoding));
  const { ctx, intake } = handlerContext();
  const handler = new ExportHandler('otlp', ctx, new Metrics());
  const full = await loop(encoding, seconds, async (b) => {
    const outcome = await handler.handle(b, encoding, 'http');
    if (outcome.kind !== 'accepted' || outcome.partial) throw new Error(`unexpected outcome ${JSON.stringify(outcome)}`);
  });
  if (intake.events === 0) throw new Error('the rules matched nothing');
  const http = await overHttp(encoding, seconds, connections);
  console.log(`${encoding.padEnd(10)} ${fmt(decode)}     ${fmt(full)}       ${fmt(http.perCore)}`);
}
