import type { Config } from '../config/load.ts';
import { DeliveryEngine, type EngineSink } from '../delivery/engine.ts';
import type { Event } from '../model/event.ts';
import type { LogRecord } from '../model/log-record.ts';
import { PodMetadata } from '../kubernetes/pod-metadata.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import type { EmulatorTarget } from '../sinks/emulator-target.ts';
import { sinkType } from '../sinks/registry.ts';
import { sourceType } from '../sources/registry.ts';
import type { CommitResult, Source } from '../sources/source.ts';
import { StateStore } from '../store/state-store.ts';

export interface AgentOptions {
  config: Config;
  logger?: Logger;
  metrics?: Metrics;
  /** Start the config's sources (false in library mode, where records come through `ingest`). */
  withSources?: boolean;
  /** A provider emulator that cloud sinks must call instead of the clouds. */
  emulator?: EmulatorTarget;
}

/**
 * The running pipeline: sources → rules → spool → delivery. `run` drives it from the command
 * line; the SDK exporter drives it in-process.
 */
export class Agent {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  private readonly store: StateStore;
  private readonly engine: DeliveryEngine;
  private readonly sinks: Map<string, EngineSink>;
  private readonly sources: Source[] = [];
  private readonly abort = new AbortController();
  private pods: PodMetadata | undefined;
  private state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';

  private constructor(config: Config, logger: Logger, metrics: Metrics, store: StateStore, engine: DeliveryEngine, sinks: Map<string, EngineSink>) {
    this.config = config;
    this.logger = logger;
    this.metrics = metrics;
    this.store = store;
    this.engine = engine;
    this.sinks = sinks;
  }

  static async start(opts: AgentOptions): Promise<Agent> {
    const { config } = opts;
    const logger = opts.logger ?? createLogger(config.log_level);
    const metrics = opts.metrics ?? new Metrics();
    const store = StateStore.open(config.state_dir, { walMaxBytes: config.delivery.spool.wal_max_bytes });
    const sinks = new Map<string, EngineSink>();
    try {
      for (const [name, sc] of config.sinks) {
        const def = sinkType(sc.type)!;
        const deps = { logger: logger.child({ sink: name }), metrics, baseDir: config.baseDir, ...(opts.emulator ? { emulator: opts.emulator } : {}) };
        sinks.set(name, { sink: await def.create(name, sc.options, deps), options: sc.options });
      }
    } catch (err) {
      store.close();
      throw err;
    }
    const engine = new DeliveryEngine({ store, sinks, spool: config.delivery.spool, logger, metrics });
    const agent = new Agent(config, logger, metrics, store, engine, sinks);
    engine.start();
    if (opts.withSources !== false) {
      try {
        await agent.startSources();
      } catch (err) {
        await agent.stop();
        throw err;
      }
    }
    agent.state = 'running';
    return agent;
  }

  private async startSources(): Promise<void> {
    if (this.config.kubernetes) {
      const made = PodMetadata.create(this.config.kubernetes, { logger: this.logger, metrics: this.metrics });
      if (!made.ok) throw new Error(made.error);
      this.pods = made.pods;
      this.pods.start();
    }
    const pods = this.pods ? { pods: this.pods } : {};
    for (const [name, sc] of this.config.sources) {
      const def = sourceType(sc.type)!;
      const logger = this.logger.child({ source: name });
      const source = await def.create(name, sc.options, { logger, metrics: this.metrics, stateDir: this.config.state_dir, baseDir: this.config.baseDir, ...pods });
      await source.start({ processor: this.config.compiled, intake: this.engine.intake, logger, signal: this.abort.signal });
      this.sources.push(source);
    }
  }

  get ready(): boolean {
    return this.state === 'running';
  }

  /** Library mode: records in, events committed to the spool (or "full"). */
  ingest(records: readonly LogRecord[], sourceName: string): CommitResult {
    const events: Event[] = [];
    for (const r of records) events.push(...this.config.compiled.process(r, sourceName));
    if (events.length === 0) return { ok: true };
    return this.engine.intake.commit(events);
  }

  /** Resolves when every source that can tell has consumed its available input. */
  async sourcesDrained(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.drained?.()));
  }

  /** Resolves true when the spool holds nothing deliverable now, false on timeout. */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.engine.flush(timeoutMs);
  }

  /** Graceful stop: no more intake, then delivery drains for up to `shutdown_timeout`. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.abort.abort();
    await Promise.allSettled(this.sources.map((s) => s.stop()));
    await this.pods?.stop();
    await this.engine.stop(this.config.delivery.shutdown_timeout);
    await Promise.allSettled([...this.sinks.values()].map((s) => s.sink.close()));
    this.store.close();
    this.state = 'stopped';
  }

  /** Rule counters, rendered with the rest of the metrics. */
  collectRuleMetrics(): Metrics {
    for (const [rule, n] of this.config.compiled.stats.matched) this.metrics.set('log2events_rule_matches', 'Records matched per rule', { rule }, n);
    for (const [rule, n] of this.config.compiled.stats.throttled) this.metrics.set('log2events_rule_throttled', 'Matches suppressed by throttle per rule', { rule }, n);
    for (const [rule, n] of this.config.compiled.stats.slowRegex) {
      this.metrics.set('log2events_rule_regex_slow', 'Regex matches on a long line that took over 50 ms, per rule', { rule }, n);
    }
    return this.metrics;
  }

  status(): unknown {
    const delivery = this.engine.status();
    return {
      state: this.state,
      sources: this.sources.map((s) => ({ name: s.name, type: s.type })),
      rules: this.config.rules.length,
      spool: delivery.spool,
      sinks: delivery.sinks,
    };
  }
}
