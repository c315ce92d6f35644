import type { z } from 'zod';

/**
 * Parses one entry of a config section with a component's schema, reporting each problem at the
 * entry's place in the file; undefined when the entry is invalid.
 */
export type ParseEntry = <S extends z.ZodType>(schema: S, value: unknown) => z.output<S> | undefined;

/**
 * A configured component bound to its type: its name, its options as the type's schema parsed
 * them, and the factory of the type, so that nothing has to look the type up again.
 */
export interface BoundComponent<T extends string, O, Deps, C> {
  readonly name: string;
  readonly type: T;
  readonly options: O;
  /** Builds the component; may load its implementation on demand. */
  create(deps: Deps): Promise<C>;
}

/** A component type of a component table: the `type:` it answers to and how it binds an entry. */
export interface ComponentType<T extends string, B> {
  readonly type: T;
  bind(name: string, value: unknown, parse: ParseEntry): B | undefined;
}
