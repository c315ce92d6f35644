import type { Config } from './load-config.ts';

/** Names added, removed and changed between two maps of named configs. */
export interface NamedChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What a reload changes, and what it cannot change without a restart. */
export interface ConfigDiff {
  sources: NamedChanges;
  sinks: NamedChanges;
  rules: NamedChanges;
  /** `delivery:` (spool limits, shutdown timeout, ...) differs. */
  delivery: boolean;
  /** Keys that need a restart and differ: the reload is refused. */
  refused: string[];
  /** Keys that differ and take effect at the next start only. */
  atRestart: string[];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function named<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): NamedChanges {
  const out: NamedChanges = { added: [], removed: [], changed: [] };
  for (const [name, v] of after) {
    if (!before.has(name)) out.added.push(name);
    else if (!same(before.get(name), v)) out.changed.push(name);
  }
  for (const name of before.keys()) if (!after.has(name)) out.removed.push(name);
  return out;
}

export function diffConfig(before: Config, after: Config): ConfigDiff {
  const refused: string[] = [];
  if (before.state_dir !== after.state_dir) refused.push('state_dir');
  if (!same(before.admin, after.admin)) refused.push('admin');
  if (!same(before.kubernetes, after.kubernetes)) refused.push('kubernetes');
  return {
    sources: named(before.sources, after.sources),
    sinks: named(before.sinks, after.sinks),
    rules: named(new Map(before.rules.map((r) => [r.name, r])), new Map(after.rules.map((r) => [r.name, r]))),
    delivery: !same(before.delivery, after.delivery),
    refused,
    atRestart: before.log_level !== after.log_level ? ['log_level'] : [],
  };
}

export function rulesChanged(d: ConfigDiff, before: Config, after: Config): boolean {
  // The order of rules matters too (the first match wins unless `continue`).
  return (
    d.rules.added.length + d.rules.removed.length + d.rules.changed.length > 0 ||
    !same(
      before.rules.map((r) => r.name),
      after.rules.map((r) => r.name),
    )
  );
}

export function anyChange(n: NamedChanges): boolean {
  return n.added.length + n.removed.length + n.changed.length > 0;
}
