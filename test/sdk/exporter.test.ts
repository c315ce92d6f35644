import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { Agent } from '../../src/agent/agent.ts';
import { loadConfigFile } from '../../src/agent/load-config.ts';
import { Log2EventsLogExporter } from '../../src/sdk/exporter.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { scratchDir } from '../helpers/cli.ts';
import { fifoReader } from '../helpers/fifo.ts';

function configFile(scratch: ReturnType<typeof scratchDir>, out: string): string {
  return scratch.write(
    'log2events.yaml',
    `state_dir: ${join(scratch.dir, 'state')}
sinks:
  out: { type: file, path: ${out} }
rules:
  - name: payment_failed
    when: { severity: ">= ERROR", body: 'payment failed for order (?<order_id>\\d+)' }
    event:
      name: PaymentFailed
      source: shop.payments
      content: "order {{order_id}} on {{resource.service.name}} ({{attributes.region}})"
    to: [out]
  - name: slow_checkout
    when: { fields: { event: checkout } }
    event: { name: SlowCheckout, source: shop.checkout, severity: Minor, content: "cart of {{fields.cart.items}} items" }
    to: [out]
`,
  );
}

describe('Log2EventsLogExporter in an application using the OpenTelemetry SDK', () => {
  let scratch: ReturnType<typeof scratchDir>;
  beforeEach(() => {
    scratch = scratchDir('l2e-sdk-');
  });
  afterEach(() => scratch.cleanup());

  it('applies the rules in-process and delivers the events to the file sink', async () => {
    const out = join(scratch.dir, 'events.jsonl');
    const exporter = await Log2EventsLogExporter.fromConfigFile(configFile(scratch, out), {
      sourceName: 'checkout-app',
      logger: silentLogger,
    });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'shop' }),
      processors: [new BatchLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('checkout', '2.0.0');
    const context = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    logger.emit({ severityNumber: SeverityNumber.ERROR, body: 'payment failed for order 77', attributes: { region: 'eu-1' }, context });
    logger.emit({ severityNumber: SeverityNumber.INFO, body: 'payment failed for order 78' }); // below ERROR: no event
    logger.emit({ severityNumber: SeverityNumber.WARN, body: { event: 'checkout', cart: { items: 4 } } });
    await provider.forceFlush();
    await provider.shutdown(); // shuts the exporter down, which drains delivery

    const events = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.name, e.severity, e.content]).sort()).toEqual([
      ['PaymentFailed', 'Major', 'order 77 on shop (eu-1)'],
      ['SlowCheckout', 'Minor', 'cart of 4 items'],
    ]);
    const payment = events.find((e) => e.name === 'PaymentFailed');
    expect(payment.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('waits while the spool is full and exports every record once it drains', async () => {
    // The file sink writes into a FIFO that nobody reads yet: its batches fail (ENXIO, retried),
    // so the first events stay in the 2-event spool and it is full for the next exports.
    const fifo = join(scratch.dir, 'events.fifo');
    execFileSync('mkfifo', [fifo]);
    const file = scratch.write(
      'full.yaml',
      `state_dir: ${join(scratch.dir, 'state')}
delivery: { spool: { max_events: 2 } }
sinks:
  out: { type: file, path: ${fifo}, fsync: false, batch: { linger: 0 }, retry: { initial: 20ms, max: 100ms } }
rules:
  - name: payment_failed
    when: { body: 'payment failed for order (?<order_id>\\d+)' }
    event: { name: PaymentFailed, content: "order {{order_id}}" }
    to: [out]
`,
    );
    const loaded = loadConfigFile(file);
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const agent = await Agent.start({ config: loaded.config, withSources: false, logger: silentLogger });
    const exporter = new Log2EventsLogExporter(agent, { fullWaitMs: 20_000 });
    const provider = new LoggerProvider({
      processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 2, scheduledDelayMillis: 10 })],
    });
    const logger = provider.getLogger('shop');
    for (let order = 1; order <= 6; order++)
      logger.emit({ severityNumber: SeverityNumber.ERROR, body: `payment failed for order ${order}` });
    const flushed = provider.forceFlush();

    while (agent.metrics.total('log2events_spool_full_total') === 0) await new Promise((r) => setTimeout(r, 20));
    const reader = fifoReader(fifo);
    await flushed;
    await provider.shutdown();
    for (let i = 0; i < 400 && reader.text().split('\n').filter(Boolean).length < 6; i++) await new Promise((r) => setTimeout(r, 25));
    await agent.stop();
    reader.socket.destroy();

    const orders = reader
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).content as string);
    expect(orders.sort()).toEqual(['order 1', 'order 2', 'order 3', 'order 4', 'order 5', 'order 6']);
  });

  it('reports failure for exports after shutdown instead of losing records silently', async () => {
    const out = join(scratch.dir, 'events.jsonl');
    const exporter = await Log2EventsLogExporter.fromConfigFile(configFile(scratch, out), { logger: silentLogger });
    await exporter.shutdown();
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export([], resolve));
    expect(result.code).toBe(1);
    expect(result.error?.message).toMatch(/shut down/);
  });

  it('refuses an invalid config with every problem listed', async () => {
    const bad = scratch.write('bad.yaml', 'sinks: { out: { type: nope } }\nrules: 5\n');
    await expect(Log2EventsLogExporter.fromConfigFile(bad)).rejects.toThrow(/invalid/);
  });
});
