import type { z } from 'zod';
import type { BoundComponent, ComponentType } from '../core/component.ts';
import type { Source } from './source.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { PodMetadata } from '../kubernetes/pod-metadata.ts';

export interface SourceFactoryDeps {
  logger: Logger;
  metrics: Metrics;
  /** Directory for the agent's state (the sqlite store lives here). */
  stateDir: string;
  /** Directory of the config file: relative paths in the source's config resolve against it. */
  baseDir: string;
  /** Pod metadata from the Kubernetes API, when the config has a `kubernetes:` block. */
  pods?: PodMetadata;
}

/** A configured source: its options keep the type its schema gives them. */
export type BoundSource<T extends string = string, O = unknown> = BoundComponent<T, O, SourceFactoryDeps, Source>;

/** A source type: its config schema (a strict object with `type`) and its factory. */
export interface SourceType<T extends string = string, S extends z.ZodType = z.ZodType>
  extends ComponentType<T, BoundSource<T, z.output<S>>> {
  /** Builds the schema: called at each load, so that nothing keeps it once the config is validated. */
  readonly schema: () => S;
}

export interface SourceTypeSpec<T extends string, S extends z.ZodType> {
  type: T;
  /** Builds the config schema; called at each load and dropped after it (the schemas are not kept alive). */
  schema: () => S;
  /** May be async, so that a source's heavy dependencies load only when it is configured. */
  create(name: string, options: z.output<S>, deps: SourceFactoryDeps): Source | Promise<Source>;
}

/** A source type for a component table (agent/components.ts). */
export function defineSourceType<const T extends string, S extends z.ZodType>(spec: SourceTypeSpec<T, S>): SourceType<T, S> {
  const { type, schema, create } = spec;
  return {
    type,
    schema,
    bind(name, value, parse) {
      const options = parse(schema(), value);
      if (options === undefined) return undefined;
      return { name, type, options, create: async (deps) => create(name, options, deps) };
    },
  };
}
