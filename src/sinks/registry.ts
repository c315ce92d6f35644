import type { z } from 'zod';
import { TypeRegistry } from '../core/type-registry.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { EmulatorTarget } from './emulator-target.ts';
import type { Sink } from './sink.ts';
import type { SinkCommonOptions } from './common-options.ts';

export interface SinkFactoryDeps {
  logger: Logger;
  metrics: Metrics;
  /** Directory of the config file: relative paths in the sink's config resolve against it. */
  baseDir: string;
  /**
   * Set by `run --emulator`: the in-process provider emulator that every cloud sink must call
   * instead of the real endpoint (credentials fall back to the emulator's).
   */
  emulator?: EmulatorTarget;
}

/**
 * How a sink type plugs in: its config schema (a strict object that spreads `sinkCommonShape`
 * and adds its own keys, `type` included) and a factory.
 */
export interface SinkType<S extends z.ZodType = z.ZodType> {
  schema: S;
  /**
   * The provider's rules for what a rule fixes at load (its literal fields): a field no event of
   * that rule could ever send (a rule without `source:` routed to Cloud Eye, whose default
   * source is not `service.item`) is a `validate` error rather than a dead letter per event.
   */
  checkStatic?(fields: StaticEventFields): StaticProblem[];
  /** May be async, so that a sink's heavy dependencies load only when it is configured. */
  create(name: string, config: z.output<S> & SinkCommonOptions, deps: SinkFactoryDeps): Sink | Promise<Sink>;
}

/**
 * What a rule's `event:` fixes for every event it makes, as far as it is known at load: literal
 * values only; a templated field is `undefined`. `source` has its default applied.
 */
export interface StaticEventFields {
  name: string | undefined;
  source: string | undefined;
  /** The rule's `group:` (Alibaba's application group): literal only. */
  group?: string | undefined;
  /** The rule's override block for the sink's provider: literal values only. */
  overrides: Record<string, unknown>;
  /** Every key the override block sets, templated ones too (their value is known only per record). */
  overridden?: readonly string[];
}

/** A problem with a rule's field, its path relative to the rule's `event:`. */
export interface StaticProblem {
  path: (string | number)[];
  message: string;
}

const registry = new TypeRegistry<SinkType>();

// biome-ignore lint/suspicious/noExplicitAny: each component registers its own option type; the registry erases it
export function registerSinkType(type: string, def: SinkType<any>): void {
  registry.register(type, def);
}

export function sinkType(type: string): SinkType | undefined {
  return registry.get(type);
}

export function sinkTypeNames(): string[] {
  return registry.names();
}
