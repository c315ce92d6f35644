import * as grpc from '@grpc/grpc-js';
import type { ListenAddress } from '../../core/listen-address.ts';
import type { Logger } from '../../observability/logger.ts';
import { BearerToken } from './bearer-token.ts';
import { BUSY_RETRY_MS, Reservation, type BodyBudget } from './body-budget.ts';
import { gateInterceptor } from './grpc-gate.ts';
import { encodeExportResponse, encodeStatus, GrpcCode } from './codec.ts';
import type { ExportHandler, ExportOutcome } from './export-handler.ts';
import { LOGS_SERVICE_EXPORT_PATH } from './proto/schema.ts';
import { readTlsFiles, type TlsFiles } from './tls.ts';

export interface GrpcReceiverOptions {
  listen: ListenAddress;
  /** Largest accepted message, after decompression (grpc-js checks the inflated size). */
  maxReceiveMessageLength: number;
  /** When set, calls must carry `authorization: Bearer <token>` metadata (UNAUTHENTICATED otherwise). */
  bearerToken?: string | undefined;
  tls?: TlsFiles | undefined;
  /** Shared with the HTTP receiver: request bodies held at once. */
  budget: BodyBudget;
  /** Time for the message to arrive once the call's metadata has (DEADLINE_EXCEEDED after). */
  requestTimeoutMs: number;
}

const STOP_GRACE_MS = 5_000;

/**
 * The request stays raw bytes through grpc-js: decoding happens in the handler, where a bad
 * message becomes INVALID_ARGUMENT and the bytes are at hand for the records' origin digest.
 */
const logsService: grpc.ServiceDefinition = {
  Export: {
    path: LOGS_SERVICE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    responseDeserialize: (bytes: Buffer) => bytes,
    originalName: 'export',
  },
};

/** OTLP/gRPC receiver: `opentelemetry.proto.collector.logs.v1.LogsService/Export`. */
export class OtlpGrpcReceiver {
  private readonly options: GrpcReceiverOptions;
  private readonly handler: ExportHandler;
  private readonly logger: Logger;
  private readonly token: BearerToken | undefined;
  private server: grpc.Server | undefined;

  constructor(options: GrpcReceiverOptions, handler: ExportHandler, logger: Logger) {
    this.options = options;
    this.handler = handler;
    this.logger = logger;
    this.token = options.bearerToken === undefined ? undefined : new BearerToken(options.bearerToken);
  }

  /** Binds and serves; resolves with the bound port (useful when configured with port 0). */
  async start(): Promise<{ host: string; port: number }> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.options.maxReceiveMessageLength,
      interceptors: [
        gateInterceptor({
          token: this.token,
          budget: this.options.budget,
          maxMessageBytes: this.options.maxReceiveMessageLength,
          requestTimeoutMs: this.options.requestTimeoutMs,
          count: (outcome) => this.handler.countRequest('grpc', outcome),
        }),
      ],
    });
    server.addService(logsService, { Export: this.onExport });
    const { host, port } = this.options.listen;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, this.credentials(), (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
    });
    this.server = server;
    return { host, port: bound };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const timer = setTimeout(() => server.forceShutdown(), STOP_GRACE_MS);
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    clearTimeout(timer);
  }

  private credentials(): grpc.ServerCredentials {
    if (!this.options.tls) return grpc.ServerCredentials.createInsecure();
    const tls = readTlsFiles(this.options.tls);
    return grpc.ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.ca !== undefined);
  }

  private readonly onExport = (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>): void => {
    void this.export(call, callback);
  };

  private async export(call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>): Promise<void> {
    // grpc-js has the whole message by now; it counts against the shared budget while it is decoded.
    const reservation = new Reservation(this.options.budget);
    if (!reservation.take(call.request.length)) {
      this.handler.countRequest('grpc', 'busy');
      callback(
        retryableError(grpc.status.RESOURCE_EXHAUSTED, 'too many request bytes in flight (max_inflight_bytes); retry later', BUSY_RETRY_MS),
      );
      return;
    }
    let outcome: ExportOutcome;
    try {
      outcome = await this.handler.handle(call.request, 'protobuf', 'grpc');
    } catch (err) {
      this.logger.error('OTLP/gRPC export failed', { error: err });
      callback({ code: grpc.status.INTERNAL, details: 'internal error' });
      return;
    } finally {
      reservation.releaseAll();
    }
    switch (outcome.kind) {
      case 'accepted':
        callback(null, encodeExportResponse(outcome.partial, 'protobuf'));
        return;
      case 'invalid':
        callback({ code: grpc.status.INVALID_ARGUMENT, details: outcome.message });
        return;
      case 'too_large':
        // Without RetryInfo: the same request would be refused again.
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: outcome.message });
        return;
      case 'full':
        callback(retryableError(grpc.status.RESOURCE_EXHAUSTED, 'spool is full, retry later', outcome.retryAfterMs));
        return;
      case 'unavailable':
        callback(retryableError(grpc.status.UNAVAILABLE, outcome.message, outcome.retryAfterMs));
        return;
    }
  }
}

/** A status with google.rpc.RetryInfo in `grpc-status-details-bin`, as OTLP asks for throttling. */
function retryableError(code: grpc.status, details: string, retryAfterMs: number): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  const grpcCode = code === grpc.status.RESOURCE_EXHAUSTED ? GrpcCode.RESOURCE_EXHAUSTED : GrpcCode.UNAVAILABLE;
  metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(grpcCode, details, 'protobuf', retryAfterMs)));
  return { code, details, metadata };
}
