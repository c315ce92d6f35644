import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/otlp-agent.ts';
import { recordingServer, type RecordingServer } from '../helpers/recording-server.ts';

async function emit(exporter: LogRecordExporter, service: string, orderId: number): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('checkout');
  logger.emit({ severityNumber: SeverityNumber.INFO, body: `payment failed for order ${orderId} (info only, no match)` });
  logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: `payment failed for order ${orderId}` });
  logger.emit({ severityNumber: SeverityNumber.ERROR, body: 'database connection lost' });
  await provider.shutdown();
}

async function eventsIn(path: string, count: number): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(path)) {
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      if (lines.length >= count) return lines.map((l) => JSON.parse(l));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${count} events in ${path}`);
}

describe('log2events run with an otlp source, fed by the official OpenTelemetry exporters', () => {
  const scratch = scratchDir('l2e-otlp-');
  const out = join(scratch.dir, 'out.jsonl');
  let httpPort = 0;
  let grpcPort = 0;
  let child: ChildProcess;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    [httpPort, grpcPort] = [await freePort(), await freePort()];
    const config = scratch.write(
      'config.yaml',
      `state_dir: ${join(scratch.dir, 'state')}
sources:
  otlp:
    type: otlp
    http: { listen: "127.0.0.1:${httpPort}" }
    grpc: { listen: "127.0.0.1:${grpcPort}" }
sinks:
  out: { type: file, path: ${out} }
rules:
  - name: payment_failed
    when: { severity: ">= ERROR", body: 'payment failed for order (?<order_id>\\d+)' }
    event: { name: PaymentFailed, source: shop.payments, severity: Major, content: "order {{order_id}} on {{resource.service.name}}" }
    to: [out]
`,
    );
    const started = await startCli(['run', '-c', config]);
    child = started.child;
    exited = started.exited;
  });

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL'); // only when a test failed before SIGTERM
    scratch.cleanup();
  });

  it('turns records from HTTP/JSON, HTTP/protobuf+gzip and gRPC+gzip clients into events in the file sink', async () => {
    await emit(new HttpJsonExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }), 'cart', 101);
    await emit(new HttpProtoExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs`, compression: 'gzip' as never }), 'billing', 102);
    await emit(new GrpcExporter({ url: `http://127.0.0.1:${grpcPort}`, compression: 'gzip' as never }), 'ledger', 103);

    const events = await eventsIn(out, 3);
    expect(events).toHaveLength(3);
    expect(events.map((e) => [e.name, e.source, e.severity, e.content]).sort()).toEqual([
      ['PaymentFailed', 'shop.payments', 'Major', 'order 101 on cart'],
      ['PaymentFailed', 'shop.payments', 'Major', 'order 102 on billing'],
      ['PaymentFailed', 'shop.payments', 'Major', 'order 103 on ledger'],
    ]);
  });

  it('refuses garbage with 400 and a reason, and keeps serving', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, {
      method: 'POST',
      body: '{"resourceLogs": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/invalid JSON/);
    await emit(new HttpJsonExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }), 'cart', 104);
    expect((await eventsIn(out, 4)).at(-1).content).toBe('order 104 on cart');
  });

  it('drains and exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('log2events run with a full spool', () => {
  const scratch = scratchDir('l2e-otlp-full-');
  // The sink's receiver leaves every request unanswered until the test opens it, so the first
  // events stay in flight, the spool (3 events at most) fills and the OTLP receiver answers 429.
  // (A FIFO does not do: the file sink opens its path read-write, which never blocks.)
  let receiver: RecordingServer;
  let open = false;
  const stalled: ServerResponse[] = [];
  const answer = (res: ServerResponse, body: string): void => {
    const { events } = JSON.parse(body) as { events: unknown[] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: events.map(() => ({ status: 'ok' })) }));
  };
  const bodies = new Map<ServerResponse, string>();
  let httpPort = 0;
  let adminPort = 0;
  let child: ChildProcess;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    receiver = await recordingServer((req, res) => {
      if (open) answer(res, req.body);
      else {
        bodies.set(res, req.body);
        stalled.push(res);
      }
    });
    [httpPort, adminPort] = [await freePort(), await freePort()];
    const config = scratch.write(
      'config.yaml',
      `state_dir: ${join(scratch.dir, 'state')}
admin: { listen: "127.0.0.1:${adminPort}" }
delivery: { spool: { max_events: 3 } }
sources:
  otlp: { type: otlp, http: { listen: "127.0.0.1:${httpPort}" }, grpc: false }
sinks:
  out: { type: http, url: "${receiver.url}/events", timeout: 60s, batch: { linger: 0 } }
rules:
  - name: payment_failed
    when: { body: 'payment failed for order (?<order_id>\\d+)' }
    event: { name: PaymentFailed, content: "order {{order_id}}" }
    to: [out]
`,
    );
    ({ child, exited } = await startCli(['run', '-c', config]));
  });

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL'); // only when a test failed before SIGTERM
    for (const res of stalled) res.destroy();
    await receiver?.close();
    scratch.cleanup();
  });

  async function fullAnswers(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('log2events_otlp_requests_total{') && l.includes('outcome="full"'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('answers 429 while the spool is full; the SDK exporter retries and every record arrives once it drains', async () => {
    const provider = new LoggerProvider({
      processors: [
        new BatchLogRecordProcessor({
          exporter: new HttpJsonExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs`, timeoutMillis: 30_000 }),
          maxExportBatchSize: 2,
          scheduledDelayMillis: 10,
        }),
      ],
    });
    const logger = provider.getLogger('shop');
    for (let order = 1; order <= 10; order++)
      logger.emit({ severityNumber: SeverityNumber.ERROR, body: `payment failed for order ${order}` });
    const flushed = provider.forceFlush();

    while ((await fullAnswers()) === 0) await new Promise((r) => setTimeout(r, 50));

    open = true;
    for (const res of stalled) answer(res, bodies.get(res)!);
    await flushed;
    await provider.shutdown();
    const delivered = (): string[] =>
      receiver.requests.flatMap((r) => (JSON.parse(r.body) as { events: { content: string }[] }).events.map((e) => e.content));
    for (let i = 0; i < 200 && delivered().length < 10; i++) await new Promise((r) => setTimeout(r, 50));

    expect(delivered().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `order ${i + 1}`).sort());
    expect(await fullAnswers()).toBeGreaterThanOrEqual(1);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
