/**
 * A name → definition table for pluggable component types (sources, sinks). Components
 * register themselves at import time (see builtins.ts).
 */
export class TypeRegistry<T> {
  private readonly types = new Map<string, T>();

  register(type: string, def: T): void {
    this.types.set(type, def);
  }

  get(type: string): T | undefined {
    return this.types.get(type);
  }

  names(): string[] {
    return [...this.types.keys()].sort();
  }
}
