import type { EngineSink } from '../delivery/engine.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { EmulatorTarget } from '../sinks/emulator-target.ts';
import type { BoundSink } from '../sinks/sink-type.ts';
import type { Config } from './load-config.ts';

/** Builds the configured sinks; if one cannot be built, those already built are closed. */
export async function createSinks(
  list: readonly BoundSink[],
  config: Config,
  logger: Logger,
  metrics: Metrics,
  emulator: EmulatorTarget | undefined,
): Promise<Map<string, EngineSink>> {
  const sinks = new Map<string, EngineSink>();
  try {
    for (const sc of list) {
      const deps = { logger: logger.child({ sink: sc.name }), metrics, baseDir: config.baseDir, ...(emulator ? { emulator } : {}) };
      sinks.set(sc.name, { sink: await sc.create(deps), options: sc.options });
    }
  } catch (err) {
    await Promise.allSettled([...sinks.values()].map((s) => s.sink.close()));
    throw err;
  }
  return sinks;
}
