import type { z } from 'zod';
import { TypeRegistry } from '../config/type-registry.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Sink } from './sink.ts';
import type { SinkCommonOptions } from '../delivery/options.ts';

export interface SinkFactoryDeps {
  logger: Logger;
  metrics: Metrics;
  /** Directory of the config file: relative paths in the sink's config resolve against it. */
  baseDir: string;
  /**
   * Set by `run --emulator`: the base URL of the in-process provider emulator that every cloud
   * sink must call instead of the real endpoint (credentials fall back to the emulator's defaults).
   */
  emulatorUrl?: string;
}

/**
 * How a sink type plugs in: its config schema (a strict object that spreads `sinkCommonShape`
 * and adds its own keys, `type` included) and a factory.
 */
export interface SinkType<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** May be async, so that a sink's heavy dependencies load only when it is configured. */
  create(name: string, config: z.output<S> & SinkCommonOptions, deps: SinkFactoryDeps): Sink | Promise<Sink>;
}

const registry = new TypeRegistry<SinkType>();

export function registerSinkType(type: string, def: SinkType<any>): void {
  registry.register(type, def);
}

export function sinkType(type: string): SinkType | undefined {
  return registry.get(type);
}

export function sinkTypeNames(): string[] {
  return registry.names();
}
