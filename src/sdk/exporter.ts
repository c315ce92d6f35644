import { randomBytes } from 'node:crypto';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { Agent } from '../agent/agent.ts';
import { loadConfigFile, type Config } from '../agent/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { CommitResult } from '../sources/source.ts';
import { recordFromSdk } from './sdk-record.ts';

type ExportResultCallback = Parameters<LogRecordExporter['export']>[1];
type ExportResult = Parameters<ExportResultCallback>[0];

// Values of @opentelemetry/core's ExportResultCode (SUCCESS = 0, FAILED = 1).
const SUCCESS: ExportResult = { code: 0 };
const failed = (error: Error): ExportResult => ({ code: 1, error });

export interface Log2EventsExporterOptions {
  /** Source name the records carry into the rules (what `from:` in a rule refers to). Default `sdk`. */
  sourceName?: string;
  /**
   * How long one export waits for room while the spool is full before it reports failure to the
   * SDK (which then drops the batch). Default 10 s; keep it below the processor's export timeout.
   */
  fullWaitMs?: number;
  /**
   * How long `forceFlush` waits for delivery to the sinks. Default 30 s (the SDK's own flush
   * timeout). Events still undelivered then stay in the spool and are delivered later.
   */
  flushTimeoutMs?: number;
}

export interface FromConfigOptions extends Log2EventsExporterOptions {
  logger?: Logger;
  /** Also start the sources of the config (file tails, OTLP receivers). Default false. */
  withSources?: boolean;
}

/**
 * A LogRecordExporter for @opentelemetry/sdk-logs that runs log2events in-process: records go
 * through the config's rules into the spool and on to its sinks, no sidecar needed.
 *
 *   const exporter = await Log2EventsLogExporter.fromConfigFile('log2events.yaml');
 *   new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter })] });
 *
 * An export succeeds once its events are durable in the spool; delivery to the sinks goes on in
 * the background, and `forceFlush` waits for it.
 */
export class Log2EventsLogExporter implements LogRecordExporter {
  private readonly agent: Agent;
  private readonly ownsAgent: boolean;
  private readonly sourceName: string;
  private readonly fullWaitMs: number;
  private readonly flushTimeoutMs: number;
  /** Records get origins unique to this exporter instance, hence stable event ids per record. */
  private readonly instance = randomBytes(8).toString('hex');
  private sequence = 0;
  private shutDown = false;

  /** Wraps a started agent; `stopAgentOnShutdown` hands its lifetime to the exporter. */
  constructor(agent: Agent, options: Log2EventsExporterOptions = {}, stopAgentOnShutdown = false) {
    this.agent = agent;
    this.ownsAgent = stopAgentOnShutdown;
    this.sourceName = options.sourceName ?? 'sdk';
    this.fullWaitMs = options.fullWaitMs ?? 10_000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 30_000;
  }

  /** Loads a log2events config file and starts its agent; `shutdown` stops it. */
  static async fromConfigFile(path: string, options: FromConfigOptions = {}): Promise<Log2EventsLogExporter> {
    const loaded = loadConfigFile(path);
    if (!loaded.ok) throw new Error(`log2events config ${path} is invalid:\n${loaded.errors.join('\n')}`);
    return Log2EventsLogExporter.fromConfig(loaded.config, options);
  }

  /** Starts an agent for an already loaded config; `shutdown` stops it. */
  static async fromConfig(config: Config, options: FromConfigOptions = {}): Promise<Log2EventsLogExporter> {
    const agent = await Agent.start({
      config,
      withSources: options.withSources ?? false,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return new Log2EventsLogExporter(agent, options, true);
  }

  export(logs: ReadableLogRecord[], resultCallback: ExportResultCallback): void {
    if (this.shutDown) {
      resultCallback(failed(new Error('log2events exporter is shut down')));
      return;
    }
    const records = logs.map((log) => recordFromSdk(log, `sdk:${this.instance}:${this.sequence++}`));
    this.commit(records).then(resultCallback, (err: unknown) => resultCallback(failed(err as Error)));
  }

  /** Commits, waiting out a full spool for up to `fullWaitMs`. */
  private async commit(records: Parameters<Agent['ingest']>[0]): Promise<ExportResult> {
    const deadline = Date.now() + this.fullWaitMs;
    for (;;) {
      const result: CommitResult = this.agent.ingest(records, this.sourceName);
      if (result.ok) return SUCCESS;
      if (result.reason === 'closed') return failed(new Error('log2events spool is closed'));
      const wait = Math.min(result.retryAfterMs, deadline - Date.now());
      if (wait <= 0) return failed(new Error(`log2events spool stayed full for ${this.fullWaitMs} ms`));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Resolves once every event spooled so far is delivered (or dead-lettered), or on timeout. */
  async forceFlush(): Promise<void> {
    const drained = await this.agent.flush(this.flushTimeoutMs);
    // Not an error for the application: the events are durable and delivery goes on.
    if (!drained) this.agent.logger.warn('forceFlush timed out; undelivered events stay in the spool', { timeout_ms: this.flushTimeoutMs });
  }

  /** Stops an agent the exporter started (which drains delivery first); otherwise flushes. */
  async shutdown(): Promise<void> {
    if (this.shutDown) return;
    this.shutDown = true;
    if (this.ownsAgent) await this.agent.stop();
    else await this.forceFlush();
  }
}
