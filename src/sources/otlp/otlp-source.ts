import type { Logger } from '../../observability/logger.ts';
import type { SourceFactoryDeps } from '../source-type.ts';
import type { Source, SourceContext } from '../source.ts';
import type { OtlpSourceConfig } from './config.ts';
import { BodyBudget } from './body-budget.ts';
import { ExportHandler } from './export-handler.ts';
import { OtlpGrpcReceiver } from './grpc-server.ts';
import { OtlpHttpReceiver } from './http-server.ts';
import { withPodMetadata } from '../pod-enrichment.ts';

export interface BoundAddresses {
  http?: { host: string; port: number };
  grpc?: { host: string; port: number };
}

/** Receives OTLP log records over HTTP and/or gRPC and commits their events to the spool. */
export class OtlpSource implements Source {
  readonly name: string;
  readonly type = 'otlp';
  private readonly cfg: OtlpSourceConfig;
  private readonly deps: SourceFactoryDeps;
  private readonly logger: Logger;
  private handler: ExportHandler | undefined;
  private http: OtlpHttpReceiver | undefined;
  private grpc: OtlpGrpcReceiver | undefined;
  private bound: BoundAddresses = {};

  constructor(name: string, cfg: OtlpSourceConfig, deps: SourceFactoryDeps) {
    this.name = name;
    this.cfg = cfg;
    this.deps = deps;
    this.logger = deps.logger.child({ source: name });
  }

  /** Where the receivers listen (the real ports when configured with port 0). */
  addresses(): BoundAddresses {
    return this.bound;
  }

  async start(ctx: SourceContext): Promise<void> {
    // OTLP records are not held for a pod not known yet: the client waits on the answer.
    const pods = this.deps.pods;
    const handler = new ExportHandler(
      this.name,
      pods ? withPodMetadata(ctx, pods, { wait: false }) : ctx,
      this.deps.metrics,
      this.cfg.max_records,
    );
    const budget = new BodyBudget(this.cfg.max_inflight_bytes);
    const requestTimeoutMs = this.cfg.request_timeout;
    this.handler = handler;
    try {
      if (this.cfg.http !== false) {
        const http = new OtlpHttpReceiver(
          {
            listen: this.cfg.http.listen,
            maxBody: this.cfg.http.max_body,
            bearerToken: this.cfg.http.bearer_token,
            tls: this.cfg.http.tls,
            budget,
            requestTimeoutMs,
          },
          handler,
          this.logger,
        );
        this.http = http;
        const a = await http.start();
        this.bound.http = { host: a.address, port: a.port };
        this.logger.info('OTLP/HTTP receiver listening', { address: `${a.address}:${a.port}`, tls: this.cfg.http.tls !== undefined });
      }
      if (this.cfg.grpc !== false) {
        const grpc = new OtlpGrpcReceiver(
          {
            listen: this.cfg.grpc.listen,
            maxReceiveMessageLength: this.cfg.grpc.max_receive_message_length,
            bearerToken: this.cfg.grpc.bearer_token,
            tls: this.cfg.grpc.tls,
            budget,
            requestTimeoutMs,
          },
          handler,
          this.logger,
        );
        this.grpc = grpc;
        this.bound.grpc = await grpc.start();
        this.logger.info('OTLP/gRPC receiver listening', {
          address: `${this.bound.grpc.host}:${this.bound.grpc.port}`,
          tls: this.cfg.grpc.tls !== undefined,
        });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    // Handlers run synchronously to completion, so once both servers are closed nothing
    // more can be committed; requests arriving meanwhile get a retryable 503/UNAVAILABLE.
    this.handler?.stopAccepting();
    const http = this.http;
    const grpc = this.grpc;
    this.http = undefined;
    this.grpc = undefined;
    await Promise.all([http?.stop(), grpc?.stop()]);
    // A request cut off by the stop grace may still be between two slices: let it finish.
    await this.handler?.idle();
  }
}
