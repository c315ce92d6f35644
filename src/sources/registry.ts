import type { z } from 'zod';
import { TypeRegistry } from '../core/type-registry.ts';
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

/** How a source type plugs in: its config schema (a strict object with `type`) and a factory. */
export interface SourceType<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** May be async, so that a source's heavy dependencies load only when it is configured. */
  create(name: string, config: z.output<S>, deps: SourceFactoryDeps): Source | Promise<Source>;
}

const registry = new TypeRegistry<SourceType>();

// biome-ignore lint/suspicious/noExplicitAny: each component registers its own option type; the registry erases it
export function registerSourceType(type: string, def: SourceType<any>): void {
  registry.register(type, def);
}

export function sourceType(type: string): SourceType | undefined {
  return registry.get(type);
}

export function sourceTypeNames(): string[] {
  return registry.names();
}
