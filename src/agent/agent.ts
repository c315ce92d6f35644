import type { Config } from './load-config.ts';
import { DeliveryEngine, type EngineSink } from '../delivery/engine.ts';
import { SINK_UP, type SinkHealth } from '../delivery/sink-health.ts';
import type { Event } from '../model/event.ts';
import type { LogRecord } from '../model/log-record.ts';
import { PodMetadata } from '../kubernetes/pod-metadata.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import type { EmulatorTarget } from '../sinks/emulator-target.ts';
import type { BoundSource } from '../sources/source-type.ts';
import type { CommitResult, Source } from '../sources/source.ts';
import { StateStore } from '../store/state-store.ts';
import { checkSinksAtStart } from './check-sinks.ts';
import { anyChange, diffConfig, rulesChanged, type ConfigDiff } from './config-diff.ts';
import { createSinks } from './create-sinks.ts';
import { declareMetrics } from './declare-metrics.ts';
import { type Problem, problemLogger } from './problem-logger.ts';
import { RuleSwitch } from './rule-switch.ts';
import { SwitchingIntake } from './switching-intake.ts';
import { Tap } from './tap.ts';

export interface AgentOptions {
  config: Config;
  logger?: Logger;
  metrics?: Metrics;
  /** Start the config's sources (false in library mode, where records come through `ingest`). */
  withSources?: boolean;
  /** A provider emulator that cloud sinks must call instead of the clouds. */
  emulator?: EmulatorTarget;
  /** Where events and delivery outcomes are shown (the admin endpoint's `/tap`). */
  tap?: Tap;
  /** Called once when another agent holds the state_dir lock, before waiting for it. */
  onLockWait?: (holderPid: number | undefined) => void;
}

export type ReloadResult = { ok: true; diff: ConfigDiff; failedSources: string[] } | { ok: false; error: string };

interface RunningSource {
  source: Source;
  /** The rules' literals for it when it started: a tailer prefilters lines with them. */
  literals: string;
}

/**
 * The running pipeline: sources → rules → spool → delivery. `run` drives it from the command
 * line; the SDK exporter drives it in-process. A reload swaps the rules between two records,
 * restarts the sources whose config changed, and replaces the delivery engine when the sinks
 * or the delivery settings changed (see ARCHITECTURE.md, "Reload").
 */
export class Agent {
  config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tap: Tap;
  private readonly store: StateStore;
  private engine: DeliveryEngine;
  private sinks: Map<string, EngineSink>;
  private readonly sources = new Map<string, RunningSource>();
  /** The last warning or error of each source, for `/status`. */
  private readonly sourceProblems = new Map<string, Problem>();
  private readonly intake: SwitchingIntake;
  private readonly rules: RuleSwitch;
  private readonly emulator: EmulatorTarget | undefined;
  /** False in library mode: records come through `ingest`, a reload starts no source either. */
  private withSources = true;
  private readonly abort = new AbortController();
  private pods: PodMetadata | undefined;
  private state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  /** Reloads and the stop run one at a time, in order. */
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    config: Config,
    logger: Logger,
    metrics: Metrics,
    store: StateStore,
    sinks: Map<string, EngineSink>,
    emulator: EmulatorTarget | undefined,
    tap: Tap,
  ) {
    this.config = config;
    this.tap = tap;
    this.logger = logger;
    this.metrics = metrics;
    this.store = store;
    this.sinks = sinks;
    this.emulator = emulator;
    this.rules = new RuleSwitch(config.compiled, metrics, this.tap);
    this.engine = this.newEngine(config, sinks);
    this.intake = new SwitchingIntake(this.engine.intake);
    declareMetrics(metrics, config);
    metrics.onCollect(() => this.collect());
  }

  static async start(opts: AgentOptions): Promise<Agent> {
    const { config } = opts;
    const logger = opts.logger ?? createLogger(config.log_level);
    const metrics = opts.metrics ?? new Metrics();
    const store = StateStore.open(config.state_dir, {
      walMaxBytes: config.delivery.spool.wal_max_bytes,
      ...(opts.onLockWait ? { onLockWait: opts.onLockWait } : {}),
    });
    let sinks: Map<string, EngineSink>;
    try {
      sinks = await createSinks([...config.sinks.values()], config, logger, metrics, opts.emulator);
    } catch (err) {
      store.close();
      throw err;
    }
    const agent = new Agent(config, logger, metrics, store, sinks, opts.emulator, opts.tap ?? new Tap());
    agent.withSources = opts.withSources !== false;
    agent.engine.start();
    agent.checkSinks(sinks.values());
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

  /** Proves the sinks' endpoints and credentials in the background: delivery does not wait for it. */
  private checkSinks(sinks: Iterable<EngineSink>): void {
    const list = [...sinks]
      .filter((s) => s.sink.probe && s.options.check_at_start)
      .map((s) => ({ sink: s.sink, timeoutMs: s.options.timeout }));
    if (list.length > 0) void checkSinksAtStart(list, this.logger, this.abort.signal);
  }

  private newEngine(config: Config, sinks: Map<string, EngineSink>, health?: ReadonlyMap<string, SinkHealth>): DeliveryEngine {
    return new DeliveryEngine({
      ...(health ? { health } : {}),
      store: this.store,
      sinks,
      spool: config.delivery.spool,
      logger: this.logger,
      metrics: this.metrics,
      observer: this.tap,
      healthLogIntervalMs: config.delivery.health_log_interval,
    });
  }

  /** Pod metadata for the sources (when `kubernetes:` is configured), then every source. */
  private async startSources(): Promise<void> {
    if (this.config.kubernetes) {
      const made = PodMetadata.create(this.config.kubernetes, { logger: this.logger, metrics: this.metrics });
      if (!made.ok) throw new Error(made.error);
      this.pods = made.pods;
      this.pods.start();
    }
    for (const sc of this.config.sources.values()) await this.startSource(sc, this.config);
  }

  private async startSource(sc: BoundSource, config: Config): Promise<void> {
    const { name } = sc;
    const logger = problemLogger(this.logger.child({ source: name }), (p) => this.sourceProblems.set(name, p));
    const source = await sc.create({
      logger,
      metrics: this.metrics,
      stateDir: config.state_dir,
      baseDir: config.baseDir,
      ...(this.pods ? { pods: this.pods } : {}),
    });
    await source.start({ processor: this.rules, intake: this.intake, logger, signal: this.abort.signal });
    this.sources.set(name, { source, literals: JSON.stringify(this.rules.literalsFor(name)) });
  }

  /** Stops a source; what it held in memory is spooled, so its checkpoints are all written. */
  private async stopSource(name: string): Promise<void> {
    const running = this.sources.get(name);
    if (!running) return;
    this.sources.delete(name);
    await running.source.stop();
    this.intake.secure();
  }

  get ready(): boolean {
    return this.state === 'running';
  }

  /** Library mode: records in, events committed to the spool (or "full"). */
  ingest(records: readonly LogRecord[], sourceName: string): CommitResult {
    const events: Event[] = [];
    for (const r of records) events.push(...this.rules.process(r, sourceName));
    if (events.length === 0) return { ok: true };
    return this.intake.commit(events);
  }

  /** Resolves when every source that can tell has consumed its available input. */
  async sourcesDrained(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.source.drained?.()));
  }

  /** Resolves true when the spool holds nothing deliverable now, false on timeout. */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.engine.flush(timeoutMs);
  }

  /**
   * Applies a new config without a restart. Refused (nothing changes) when it changes what only
   * a restart can (`state_dir`, `admin`) or when a new or changed sink cannot be created.
   */
  reload(next: Config): Promise<ReloadResult> {
    const run = this.busy.then(() => this.applyReload(next));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async applyReload(next: Config): Promise<ReloadResult> {
    if (this.state !== 'running') return { ok: false, error: 'the agent is not running' };
    const before = this.config;
    const diff = diffConfig(before, next);
    if (diff.refused.length > 0) {
      return {
        ok: false,
        error: `${diff.refused.join(' and ')} cannot change while the agent runs (restart it to apply); the running config stays`,
      };
    }
    const rulesDiffer = rulesChanged(diff, before, next);
    const swapEngine = anyChange(diff.sinks) || diff.delivery;

    // New and changed sinks first: if one cannot be created, nothing has changed yet.
    let created = new Map<string, EngineSink>();
    if (swapEngine) {
      try {
        created = await createSinks(
          [...next.sinks.values()].filter((s) => diff.sinks.added.includes(s.name) || diff.sinks.changed.includes(s.name)),
          next,
          this.logger,
          this.metrics,
          this.emulator,
        );
      } catch (err) {
        return { ok: false, error: `${(err as Error).message}; the running config stays` };
      }
    }

    // Sources that go or change stop first; so do those whose line prefilter the new rules change.
    const restart = new Set([...diff.sources.removed, ...diff.sources.changed]);
    const nextRules = next.compiled;
    for (const [name, running] of this.sources) {
      // Only the file tailer keeps the literals it was started with; stdin cannot be read again.
      if (running.source.type === 'file' && next.sources.has(name) && JSON.stringify(nextRules.literalsFor(name)) !== running.literals)
        restart.add(name);
    }
    for (const name of restart) await this.stopSource(name);

    if (swapEngine) {
      // Sources keep running: their commits wait (as under backpressure) until the new engine
      // takes them. The old engine delivers what it can within the budget; what is left stays
      // in the spool (held commits are spooled with their checkpoints) for the new engine.
      this.intake.pause();
      await this.engine.stop(drainBudget(before), 'reload');
      const kept = new Map<string, EngineSink>();
      const closing: EngineSink[] = [];
      for (const [name, s] of this.sinks) {
        if (next.sinks.has(name) && !created.has(name)) kept.set(name, s);
        else closing.push(s);
      }
      await Promise.allSettled(closing.map((s) => s.sink.close()));
      const sinks = new Map<string, EngineSink>();
      for (const name of next.sinks.keys()) {
        const s = created.get(name) ?? kept.get(name);
        if (!s) throw new Error(`sink "${name}" was neither kept nor created by the reload`);
        sinks.set(name, s);
      }
      this.sinks = sinks;
      // A sink that stays keeps its health: a failing one is not announced again as new.
      const health = new Map<string, SinkHealth>();
      for (const name of kept.keys()) {
        const h = this.engine.healthOf(name);
        if (h) health.set(name, h);
      }
      this.engine = this.newEngine(next, sinks, health);
      this.engine.start();
      this.checkSinks(created.values());
      for (const name of diff.sinks.removed) forgetSinkGauges(this.metrics, name);
      if (rulesDiffer) this.rules.swap(nextRules);
      this.intake.resume(this.engine.intake);
    } else if (rulesDiffer) {
      this.rules.swap(nextRules);
    }
    this.config = next;
    declareMetrics(this.metrics, next);

    const failedSources: string[] = [];
    for (const sc of this.withSources ? next.sources.values() : []) {
      if (this.sources.has(sc.name)) continue;
      try {
        await this.startSource(sc, next);
      } catch (err) {
        failedSources.push(sc.name);
        this.logger.error('source could not start after the reload', { source: sc.name, error: err as Error });
      }
    }
    return { ok: true, diff, failedSources };
  }

  /** Graceful stop: no more intake, then delivery drains for up to `shutdown_timeout`. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    await this.busy;
    this.abort.abort();
    this.intake.close();
    this.tap.closeAll();
    await Promise.allSettled([...this.sources.values()].map((s) => s.source.stop()));
    await this.pods?.stop();
    await this.engine.stop(this.config.delivery.shutdown_timeout);
    await Promise.allSettled([...this.sinks.values()].map((s) => s.sink.close()));
    this.store.close();
    this.state = 'stopped';
  }

  /** Brings the values kept elsewhere (rule counts, sink states) into the metrics before a scrape. */
  private collect(): void {
    for (const rule of this.config.rules) {
      const n = this.rules.ruleCounts(rule.name);
      const labels = { rule: rule.name };
      this.metrics.setTotal('log2events_rule_matches_total', 'Records matched per rule', labels, n.matched);
      this.metrics.setTotal('log2events_rule_throttled_total', 'Matches suppressed by throttle per rule', labels, n.throttled);
      this.metrics.setTotal(
        'log2events_rule_regex_slow_total',
        'Regex matches on a long line that took over 50 ms, per rule',
        labels,
        n.slowRegex,
      );
    }
    for (const [sink, state] of this.engine.sinkStates()) {
      this.metrics.set('log2events_sink_up', 'Sink state: 1 ok, 0.5 degraded (some failures), 0 failing', { sink }, SINK_UP[state]);
    }
  }

  status(): AgentStatus {
    const delivery = this.engine.status();
    const m = this.metrics;
    const sinks: AgentStatus['sinks'] = {};
    for (const [name, s] of Object.entries(delivery.sinks)) {
      const labels = { sink: name };
      sinks[name] = {
        ...s,
        events_in: m.value('log2events_sink_events_total', labels),
        delivered: m.value('log2events_delivered_total', labels),
        retried: m.value('log2events_retries_total', labels),
        dead_lettered: m.value('log2events_dead_letters_total', labels),
      };
    }
    const sources: AgentStatus['sources'] = {};
    for (const [name, sc] of this.config.sources) {
      const labels = { source: name };
      const problem = this.sourceProblems.get(name);
      const recent = problem !== undefined && Date.now() - problem.at < this.config.delivery.health_log_interval;
      sources[name] = {
        type: sc.type,
        // Not running (it failed to start after a reload); degraded: it warned within the interval.
        state: !this.sources.has(name) ? 'failing' : recent ? 'degraded' : 'ok',
        records_in: m.value('log2events_source_records_total', labels),
        events_out: m.value('log2events_source_events_total', labels),
        ...(problem ? { last_error: { message: problem.message, time: new Date(problem.at).toISOString() } } : {}),
      };
    }
    return {
      state: this.state,
      pid: process.pid,
      config: this.config.file,
      rules: this.config.rules.length,
      sources,
      spool: delivery.spool,
      sinks,
    };
  }
}

export interface AgentStatus {
  state: string;
  pid: number;
  config: string;
  rules: number;
  sources: Record<
    string,
    {
      type: string;
      state: 'ok' | 'degraded' | 'failing';
      records_in: number;
      events_out: number;
      last_error?: { message: string; time: string };
    }
  >;
  spool: { events: number; bytes: number; held_events: number };
  sinks: Record<
    string,
    ReturnType<DeliveryEngine['status']>['sinks'][string] & { events_in: number; delivered: number; retried: number; dead_lettered: number }
  >;
}

/**
 * How long the old engine may take at a reload: the shutdown timeout, but at least a request
 * timeout, so that requests in flight end with their answer rather than being cut off (an
 * aborted request that reached the provider would be sent again).
 */
function drainBudget(config: Config): number {
  let longest = 0;
  for (const sc of config.sinks.values()) longest = Math.max(longest, sc.options.timeout);
  return Math.max(config.delivery.shutdown_timeout, longest + 1000);
}

function forgetSinkGauges(metrics: Metrics, sink: string): void {
  metrics.forget('log2events_sink_up', { sink });
  metrics.forget('log2events_sink_concurrency', { sink });
}
