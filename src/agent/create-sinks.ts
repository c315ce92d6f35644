import type { Config, SinkConfig } from '../config/load.ts';
import type { EngineSink } from '../delivery/engine.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { EmulatorTarget } from '../sinks/emulator-target.ts';
import { sinkType } from '../sinks/registry.ts';

/** Builds the configured sinks; if one cannot be built, those already built are closed. */
export async function createSinks(
  list: readonly SinkConfig[],
  config: Config,
  logger: Logger,
  metrics: Metrics,
  emulator: EmulatorTarget | undefined,
): Promise<Map<string, EngineSink>> {
  const sinks = new Map<string, EngineSink>();
  try {
    for (const sc of list) {
      const def = sinkType(sc.type)!;
      const deps = { logger: logger.child({ sink: sc.name }), metrics, baseDir: config.baseDir, ...(emulator ? { emulator } : {}) };
      sinks.set(sc.name, { sink: await def.create(sc.name, sc.options, deps), options: sc.options });
    }
  } catch (err) {
    await Promise.allSettled([...sinks.values()].map((s) => s.sink.close()));
    throw err;
  }
  return sinks;
}
