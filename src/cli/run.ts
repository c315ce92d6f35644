import { loadConfigFile } from '../agent/load-config.ts';
import { listenAddress } from '../core/listen-address.ts';
import { parseDuration } from '../core/duration.ts';
import { Agent } from '../agent/agent.ts';
import { Tap } from '../agent/tap.ts';
import { AdminListenError, startAdminServer } from '../admin/admin-server.ts';
import { createLogger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { watchConfig, reloadFromFile } from './reload.ts';
import type { EmulatorTarget } from '../sinks/emulator-target.ts';
import { currentProfile } from './runtime-profile.ts';
import { StateStoreError } from '../store/state-store.ts';
import { storeErrorLine } from './store-errors.ts';
import {
  EXIT_DEAD_LETTERED,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_UNDELIVERED,
  parseCommandArgs,
  requireConfig,
  UsageError,
  type CliIO,
} from './command.ts';

const USAGE = `Usage: log2events run -c FILE [--watch-config] [--emulator] [--once [--once-timeout DURATION]]

Runs the agent: starts the sources, applies the rules, spools events durably under state_dir
and delivers them to the sinks. SIGTERM or SIGINT drains (up to delivery.shutdown_timeout) and
exits 0; a second signal exits at once (everything accepted is already in the spool). SIGHUP
reloads the config: an invalid one is reported and the running one stays.

Options:
  -c, --config FILE          the config file (required)
      --watch-config         reload the config whenever the file changes (as SIGHUP does)
      --emulator             start the provider emulator in-process and send every cloud sink
                             to it (the quick start; nothing leaves the machine)
      --emulator-listen ADDR where the in-process emulator listens (default 127.0.0.1:0)
      --once                 exit when the sources have consumed their input (stdin closed,
                             files read to the end) and the spool is delivered (a sink that
                             stays unreachable holds it until retry.max_elapsed dead-letters)
      --once-timeout DURATION
                             with --once: wait at most this long for delivery once the input is
                             consumed; what is still undelivered stays spooled for the next run,
                             and the exit code is 3; with --once, events dead-lettered during
                             the run make the exit code 4
  -h, --help                 this help`;

export async function runCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      config: { type: 'string', short: 'c' },
      'watch-config': { type: 'boolean' },
      emulator: { type: 'boolean' },
      'emulator-listen': { type: 'string' },
      once: { type: 'boolean' },
      'once-timeout': { type: 'string' },
    },
    USAGE,
    io,
  );
  if (!parsed) return EXIT_OK;
  const v = parsed.values as {
    config?: string;
    'watch-config'?: boolean;
    emulator?: boolean;
    'emulator-listen'?: string;
    once?: boolean;
    'once-timeout'?: string;
  };
  const file = requireConfig(v.config, USAGE);
  let onceTimeoutMs = Infinity;
  if (v['once-timeout'] !== undefined) {
    if (!v.once) throw new UsageError(`--once-timeout needs --once\n\n${USAGE}`);
    const ms = parseDuration(v['once-timeout']);
    if (ms === undefined) throw new UsageError(`--once-timeout: not a duration: ${v['once-timeout']} (e.g. 30s, 5m)\n\n${USAGE}`);
    onceTimeoutMs = ms;
  }
  const result = loadConfigFile(file);
  if (!result.ok) {
    io.stderr.write(result.errors.join('\n') + '\n');
    return EXIT_FAILURE;
  }
  const config = result.config;
  const logger = createLogger(config.log_level, {}, (line) => io.stderr.write(line));

  let emulator: { target: EmulatorTarget; close(): Promise<void>; summary(): Record<string, unknown> } | undefined;
  if (v.emulator || v['emulator-listen']) {
    const addr = listenAddress.safeParse(v['emulator-listen'] ?? '127.0.0.1:0');
    if (!addr.success) throw new UsageError(`--emulator-listen: ${addr.error.issues[0]?.message}`);
    const { startEmulator, EMULATOR_CREDENTIALS } = await import('../emulator/index.ts');
    const running = await startEmulator({ host: addr.data.host, port: addr.data.port });
    const { emulatorHoldings } = await import('./emulator-holdings.ts');
    emulator = {
      target: { url: running.url, credentials: EMULATOR_CREDENTIALS },
      close: () => running.close(),
      summary: () => ({ stats: running.stats(), holds: emulatorHoldings(running) }),
    };
    logger.info('emulator listening', { url: running.url });
  }

  // Process and runtime metrics only where they are scraped.
  const metrics = config.admin.listen ? await new Metrics().withRuntimeMetrics() : new Metrics();
  const tap = new Tap();
  let agent: Agent | undefined;
  let admin: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  try {
    // The admin endpoint first: a busy port is found before any input is read.
    if (config.admin.listen) {
      admin = await startAdminServer(config.admin.listen, {
        ready: () => agent?.ready ?? false,
        metrics: () => metrics,
        status: () => agent?.status() ?? { state: 'starting' },
        tap,
      });
    }
    agent = await Agent.start({
      config,
      logger,
      metrics,
      tap,
      ...(emulator ? { emulator: emulator.target } : {}),
      onLockWait: (pid) =>
        logger.warn(`waiting for the agent with pid ${pid ?? '(unknown)'} to release ${config.state_dir}`, { state_dir: config.state_dir }),
    });
  } catch (err) {
    const line = err instanceof StateStoreError ? storeErrorLine(err, file) : (err as Error).message;
    io.stderr.write(
      `log2events run: ${line}${err instanceof AdminListenError ? ' (change admin.listen, or stop what listens there)' : ''}\n`,
    );
    await admin?.close();
    await emulator?.close();
    return EXIT_FAILURE;
  }
  const running = agent;
  const stopped = new Promise<string>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        // Everything accepted is committed to the spool already: leaving now loses nothing.
        logger.warn('second signal, exiting at once', { signal: sig });
        process.exit(130);
      }
      resolve(sig);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  const reload = (trigger: string) => void reloadFromFile(running, file, trigger, logger);
  process.on('SIGHUP', () => reload('SIGHUP'));
  const watcher = v['watch-config'] ? watchConfig(file, () => reload('file changed'), logger) : undefined;
  // Only now, with the signal handlers in place: a supervisor that stops the agent as soon as it
  // reads this line must not find it still without them (SIGTERM would kill it undrained).
  logger.info('started', {
    sources: [...config.sources.keys()],
    sinks: [...config.sinks.keys()],
    rules: config.rules.length,
    ...(admin ? { admin: admin.url } : {}),
    pid: process.pid,
    runtime: currentProfile(process.execArgv),
  });

  let reason: string;
  let undelivered = false;
  if (v.once) {
    reason = await Promise.race([
      running.sourcesDrained().then(async () => {
        if (await running.flush(onceTimeoutMs)) return 'input consumed';
        undelivered = true;
        return 'input consumed; --once-timeout reached before every event was delivered';
      }),
      stopped,
    ]);
  } else {
    reason = await stopped;
  }
  logger.info('stopping', { reason });
  watcher?.close();
  await running.stop();
  // The count is the "delivery stopped" line's spooled_events, logged by stop().
  if (undelivered)
    logger.warn('--once-timeout reached: the undelivered events stay in the spool for the next run', { exit_code: EXIT_UNDELIVERED });
  const summary = deliverySummary(running);
  logger.info('delivery summary', { sinks: summary });
  const deadLettered = Object.values(summary).reduce((n, s) => n + s.dead_letters, 0);
  if (v.once && deadLettered > 0 && !undelivered)
    logger.warn('events went to dead letters during this run (log2events dlq list)', {
      dead_letters: deadLettered,
      exit_code: EXIT_DEAD_LETTERED,
    });
  await admin?.close();
  if (emulator) {
    logger.info('emulator summary', emulator.summary());
    await emulator.close();
  }
  logger.info('stopped');
  if (undelivered) return EXIT_UNDELIVERED;
  return v.once && deadLettered > 0 ? EXIT_DEAD_LETTERED : EXIT_OK;
}

/** Per sink: events delivered, retried and dead-lettered during this run. */
function deliverySummary(agent: Agent): Record<string, { delivered: number; retries: number; dead_letters: number }> {
  const m = agent.metrics;
  const out: Record<string, { delivered: number; retries: number; dead_letters: number }> = {};
  for (const sink of agent.config.sinks.keys()) {
    out[sink] = {
      delivered: m.value('log2events_delivered_total', { sink }),
      retries: m.value('log2events_retries_total', { sink }),
      dead_letters: m.value('log2events_dead_letters_total', { sink }),
    };
  }
  return out;
}
