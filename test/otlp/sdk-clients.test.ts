import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { startReceiver, type Receiver } from './harness.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

/** Emits a few records through the real SDK pipeline and waits until the exporter is done. */
async function emitThrough(exporter: LogRecordExporter): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop', 'k8s.pod.name': 'shop-7d9f' }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('checkout', '1.2.3');
  const context = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({
    timestamp: [1_700_000_000, 123_456_789],
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    body: 'payment failed for order 42',
    attributes: { 'order.id': 42, retry: true, tags: ['a', 'b'] },
    context,
  });
  logger.emit({
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: { event: 'checkout', cart: { items: 3, total: 19.5 } },
  });
  await provider.forceFlush();
  await provider.shutdown();
}

function expectRecordsFromSdk(r: Receiver): void {
  expect(r.processor.records).toHaveLength(2);
  const [error, info] = r.processor.records;
  expect(error).toMatchObject({
    timeUnixNano: 1_700_000_000_123_456_789n,
    severityNumber: 17,
    severityText: 'ERROR',
    body: 'payment failed for order 42',
    attributes: { 'order.id': 42, retry: true, tags: ['a', 'b'] },
    resource: { 'service.name': 'shop', 'k8s.pod.name': 'shop-7d9f' },
    scope: { name: 'checkout', version: '1.2.3' },
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: 1,
  });
  expect(error!.origin).toMatch(/^otlp:[0-9a-f]{40}:0$/);
  expect(error!.observedTimeUnixNano).toBeGreaterThan(0n);
  // A kvlist body arrives as a plain object the rules can address field by field.
  expect(info!.body).toEqual({ event: 'checkout', cart: { items: 3, total: 19.5 } });
  expect(info!.traceId).toBeUndefined();
  expect(info!.origin).toMatch(/:1$/);
  // Only the matching record became an event, and it reached the spool.
  expect(r.intake.committed.map((e) => e.name)).toEqual(['PaymentFailed']);
  expect(r.intake.committed[0]!.severity).toBe('Major');
}

describe('OTLP receiver with the official OpenTelemetry JS exporters', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it('takes OTLP/HTTP JSON from @opentelemetry/exporter-logs-otlp-http', async () => {
    receiver = await startReceiver();
    await emitThrough(new HttpJsonExporter({ url: receiver.httpUrl }));
    expectRecordsFromSdk(receiver);
    expect(receiver.metrics.value('log2events_otlp_requests_total', { source: 'otlp', transport: 'http', outcome: 'accepted' })).toBe(1);
  });

  it('takes gzipped OTLP/HTTP protobuf from @opentelemetry/exporter-logs-otlp-proto', async () => {
    receiver = await startReceiver();
    await emitThrough(new HttpProtoExporter({ url: receiver.httpUrl, compression: 'gzip' as never }));
    expectRecordsFromSdk(receiver);
  });

  it('takes gzipped OTLP/gRPC from @opentelemetry/exporter-logs-otlp-grpc', async () => {
    receiver = await startReceiver();
    await emitThrough(new GrpcExporter({ url: receiver.grpcUrl, compression: 'gzip' as never }));
    expectRecordsFromSdk(receiver);
    expect(receiver.metrics.value('log2events_otlp_records_accepted_total', { source: 'otlp', transport: 'grpc' })).toBe(2);
  });

  it('sends the bearer token the receiver requires', async () => {
    receiver = await startReceiver({ http: { listen: '127.0.0.1:0', bearer_token: 's3cret' }, grpc: false });
    await emitThrough(new HttpJsonExporter({ url: receiver.httpUrl, headers: { authorization: 'Bearer wrong' } }));
    expect(receiver.processor.records).toHaveLength(0);
    await emitThrough(new HttpJsonExporter({ url: receiver.httpUrl, headers: { authorization: 'Bearer s3cret' } }));
    expect(receiver.processor.records).toHaveLength(2);
  });

  it('checks the bearer token on gRPC too', async () => {
    receiver = await startReceiver({ http: false, grpc: { listen: '127.0.0.1:0', bearer_token: 's3cret' } });
    const metadata = (token: string) => {
      const m = new grpc.Metadata();
      m.set('authorization', `Bearer ${token}`);
      return m;
    };
    await emitThrough(new GrpcExporter({ url: receiver.grpcUrl, metadata: metadata('wrong') }));
    expect(receiver.processor.records).toHaveLength(0);
    expect(
      receiver.metrics.value('log2events_otlp_requests_total', { source: 'otlp', transport: 'grpc', outcome: 'unauthenticated' }),
    ).toBe(1);
    await emitThrough(new GrpcExporter({ url: receiver.grpcUrl, metadata: metadata('s3cret') }));
    expect(receiver.processor.records).toHaveLength(2);
  });

  it('answers 429 while the spool is full; the SDK exporter retries and every record arrives once it drains', async () => {
    receiver = await startReceiver();
    receiver.intake.setFull(1000);
    const r = receiver;
    // Drain the spool once the first export has been turned away.
    const drained = (async () => {
      while (r.intake.refused === 0) await new Promise((res) => setTimeout(res, 20));
      await new Promise((res) => setTimeout(res, 300));
      r.intake.setOpen();
    })();
    await emitThrough(new HttpProtoExporter({ url: r.httpUrl }));
    await drained;
    expect(r.intake.refused).toBe(1);
    expect(
      r.metrics.value('log2events_otlp_requests_total', { source: 'otlp', transport: 'http', outcome: 'full' }),
    ).toBeGreaterThanOrEqual(1);
    expect(r.intake.committed.map((e) => e.name)).toEqual(['PaymentFailed']);
    // The retry carried the same body, so the record keeps its origin (and its event id).
    const origins = r.processor.records.filter((rec) => rec.body === 'payment failed for order 42').map((rec) => rec.origin);
    expect(new Set(origins).size).toBe(1);
  });
});
