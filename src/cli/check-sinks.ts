import { checkSinks, describeFailure, type SinkCheck } from '../agent/check-sinks.ts';
import { createSinks } from '../agent/create-sinks.ts';
import type { Config } from '../agent/load-config.ts';
import { createLogger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import type { ProbeResult } from '../sinks/sink.ts';
import { EXIT_FAILURE, EXIT_OK, type CliIO } from './command.ts';

type Failed = SinkCheck & { result: ProbeResult & { ok: false } };

/**
 * `validate --check-sinks`: builds every sink of a valid config and runs each cloud sink's
 * harmless call (whatever its `check_at_start`). One line per sink; failures on stderr with the
 * provider's code and message. Exit 1 when any check failed.
 */
export async function checkConfiguredSinks(config: Config, io: CliIO): Promise<number> {
  // The sinks' own start-up lines (request limits) are not what the user asked for.
  const logger = createLogger('error', {}, (line) => io.stderr.write(line));
  let sinks;
  try {
    sinks = await createSinks([...config.sinks.values()], config, logger, new Metrics(), undefined);
  } catch (err) {
    io.stderr.write(`a sink could not be created: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
  try {
    const checks = await checkSinks([...sinks.values()].map((s) => ({ sink: s.sink, timeoutMs: s.options.timeout })));
    const failed = checks.filter((c): c is Failed => c.result !== undefined && !c.result.ok);
    for (const c of checks) {
      if (c.result === undefined) io.stdout.write(`sink "${c.sink}" (${c.type}): skipped, not a cloud sink\n`);
      else if (c.result.ok) io.stdout.write(`sink "${c.sink}" (${c.type}): ${c.result.call} ok\n`);
    }
    for (const c of failed) io.stderr.write(`${describeFailure(c)}\n`);
    if (failed.length > 0)
      io.stderr.write(`${failed.length} of ${checks.filter((c) => c.result !== undefined).length} sink check(s) failed\n`);
    return failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    await Promise.allSettled([...sinks.values()].map((s) => s.sink.close()));
  }
}
