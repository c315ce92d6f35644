import type { z } from 'zod';
import type { BoundComponent, ComponentType } from '../core/component.ts';
import type { ProviderName } from '../model/event.ts';
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

/** A configured sink: its options keep the type its schema gives them. */
export type BoundSink<T extends string = string, O extends SinkCommonOptions = SinkCommonOptions> = BoundComponent<
  T,
  O,
  SinkFactoryDeps,
  Sink
>;

/** What the loader asks of a sink type beyond binding: the rule checks that depend on it. */
export interface SinkKind<B> extends ComponentType<string, B> {
  /** The provider whose override block (`aws:`, `huawei_ces:`, ...) of a rule this sink reads. */
  readonly provider?: ProviderName | undefined;
  /**
   * The provider's rules for what a rule fixes at load (its literal fields): a field no event of
   * that rule could ever send (a rule without `source:` routed to Cloud Eye, whose default
   * source is not `service.item`) is a `validate` error rather than a dead letter per event.
   */
  checkStatic?(fields: StaticEventFields): StaticProblem[];
}

/** What a sink type's schema checks: a strict object with `type` that spreads `sinkCommonShape()`. */
export type SinkSchema = z.ZodType<SinkCommonOptions>;

/** A sink type: its config schema and factory. */
export interface SinkType<T extends string = string, S extends SinkSchema = SinkSchema> extends SinkKind<BoundSink<T, z.output<S>>> {
  readonly type: T;
  /** Builds the schema: called at each load, so that nothing keeps it once the config is validated. */
  readonly schema: () => S;
}

export interface SinkTypeSpec<T extends string, S extends SinkSchema> {
  type: T;
  /** Builds the config schema; called at each load and dropped after it (the schemas are not kept alive). */
  schema: () => S;
  provider?: ProviderName;
  checkStatic?(fields: StaticEventFields): StaticProblem[];
  /** May be async, so that a sink's heavy dependencies load only when it is configured. */
  create(name: string, options: z.output<S>, deps: SinkFactoryDeps): Sink | Promise<Sink>;
}

/** A sink type for a component table (agent/components.ts). */
export function defineSinkType<const T extends string, S extends SinkSchema>(spec: SinkTypeSpec<T, S>): SinkType<T, S> {
  const { type, schema, create } = spec;
  return {
    type,
    schema,
    provider: spec.provider,
    ...(spec.checkStatic ? { checkStatic: spec.checkStatic } : {}),
    bind(name, value, parse) {
      const options = parse(schema(), value);
      if (options === undefined) return undefined;
      return { name, type, options, create: async (deps) => create(name, options, deps) };
    },
  };
}
