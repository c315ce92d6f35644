import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatus } from '../../src/sources/otlp/codec.ts';
import {
  ExportLogsServiceRequestType,
  ExportLogsServiceResponseType,
  LOGS_SERVICE_EXPORT_PATH,
} from '../../src/sources/otlp/proto/schema.ts';
import { startReceiver, type Receiver } from './harness.ts';

const MAX_MESSAGE = 64 * 1024;

function request(records: Record<string, unknown>[]): Uint8Array {
  return ExportLogsServiceRequestType.encode(
    ExportLogsServiceRequestType.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }),
  ).finish();
}

interface CallResult {
  error?: grpc.ServiceError;
  response?: Buffer;
}

/** A plain grpc-js client that sends raw bytes, so that malformed messages can be sent too. */
function exportRaw(client: grpc.Client, bytes: Uint8Array): Promise<CallResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      LOGS_SERVICE_EXPORT_PATH,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      bytes,
      (error, response) => resolve(error ? { error } : { response: response! }),
    );
  });
}

describe('OTLP/gRPC receiver on bad input and backpressure', () => {
  let r: Receiver;
  let client: grpc.Client;
  let gzipClient: grpc.Client;
  beforeAll(async () => {
    r = await startReceiver({ http: false, grpc: { listen: '127.0.0.1:0', max_receive_message_length: MAX_MESSAGE } });
    client = new grpc.Client(`127.0.0.1:${r.grpcPort}`, grpc.credentials.createInsecure());
    gzipClient = new grpc.Client(`127.0.0.1:${r.grpcPort}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
    });
  });
  afterAll(async () => {
    client.close();
    gzipClient.close();
    await r.stop();
  });

  const good = () => request([{ severityNumber: 17, body: { stringValue: 'payment failed for order 9' } }]);

  it('accepts a valid request and answers an empty ExportLogsServiceResponse', async () => {
    const res = await exportRaw(client, good());
    expect(res.error).toBeUndefined();
    expect(ExportLogsServiceResponseType.decode(res.response!).toJSON()).toEqual({});
    expect(r.intake.committed).toHaveLength(1);
  });

  it('answers INVALID_ARGUMENT for garbage protobuf, and keeps serving', async () => {
    const res = await exportRaw(client, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(res.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(res.error?.details).toMatch(/invalid protobuf/);
    expect((await exportRaw(client, good())).error).toBeUndefined();
  });

  it('answers RESOURCE_EXHAUSTED for a message that inflates past max_receive_message_length', async () => {
    const big = request([{ body: { stringValue: ' '.repeat(MAX_MESSAGE * 4) } }]);
    const res = await exportRaw(gzipClient, big);
    expect(res.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((await exportRaw(gzipClient, good())).error).toBeUndefined();
  });

  it('returns partial_success when some records are unusable', async () => {
    const res = await exportRaw(client, request([{ body: { stringValue: 'ok' } }, { traceId: Buffer.alloc(5, 1) }]));
    expect(res.error).toBeUndefined();
    const reply = ExportLogsServiceResponseType.toObject(ExportLogsServiceResponseType.decode(res.response!), { longs: Number }) as any;
    expect(reply.partialSuccess).toEqual({ rejectedLogRecords: 1, errorMessage: 'log record #1: traceId must be 16 bytes, got 5' });
    expect(r.metrics.value('log2events_otlp_records_rejected_total', { source: 'otlp', transport: 'grpc' })).toBe(1);
  });

  it('answers INTERNAL when the spool commit throws', async () => {
    r.intake.setBroken(new Error('disk I/O error'));
    const res = await exportRaw(client, good());
    r.intake.setBroken(undefined);
    expect(res.error?.code).toBe(grpc.status.INTERNAL);
    expect((await exportRaw(client, good())).error).toBeUndefined();
  });

  it('answers RESOURCE_EXHAUSTED with google.rpc.RetryInfo while the spool is full', async () => {
    r.intake.setFull(1500);
    const res = await exportRaw(client, good());
    expect(res.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const details = res.error!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(decodeStatus(details)).toEqual({ code: 8, message: 'spool is full, retry later', retryDelayMs: 1500 });
    r.intake.setOpen();
    await new Promise((res) => setTimeout(res, 0));
    expect((await exportRaw(client, good())).error).toBeUndefined();
  });
});
