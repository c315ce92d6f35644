import { readFileSync } from 'node:fs';
import { resolve, dirname, isAbsolute } from 'node:path';
import type { z } from 'zod';
import type { ComponentType } from '../core/component.ts';
import type { ListenAddress } from '../core/listen-address.ts';
import type { DeliveryConfig } from '../delivery/options.ts';
import type { KubernetesConfig } from '../kubernetes/config.ts';
import { checkAliasExpansion } from '../config/aliases.ts';
import type { ConfigPath, Diagnostics } from '../config/diagnostics.ts';
import { checkProviderFields, type SinkRuleChecks } from '../config/provider-fields.ts';
import { isReservedName, RESERVED_NAME_MESSAGE } from '../config/reserved-names.ts';
import { topLevelSchema, ruleSchema, ruleTestSchema } from '../config/schema.ts';
import { substituteVariables } from '../config/substitute.ts';
import { typeOf, validate } from '../config/validate.ts';
import { describeFsError, parseYaml } from '../config/yaml.ts';
import { compileRules, type CompiledRules } from '../rules/compile.ts';
import type { RuleConfig, RuleTestConfig } from '../rules/schema.ts';
import type { BoundSink, SinkKind } from '../sinks/sink-type.ts';
import type { BoundSource } from '../sources/source-type.ts';
import { BUILTIN_COMPONENTS, type ComponentTable, type SinkConfig, type SourceConfig } from './components.ts';

/** A config file parsed, substituted, validated and compiled: trusted from here on. */
export interface LoadedConfig<Src extends BoundSource = BoundSource, Snk extends BoundSink = BoundSink> {
  file: string;
  /** The config file's directory; relative paths in the config resolve against it. */
  baseDir: string;
  state_dir: string;
  log_level: 'debug' | 'info' | 'warn' | 'error';
  admin: { listen?: ListenAddress | undefined };
  delivery: DeliveryConfig;
  kubernetes?: KubernetesConfig | undefined;
  sources: ReadonlyMap<string, Src>;
  sinks: ReadonlyMap<string, Snk>;
  rules: RuleConfig[];
  /** Immutable: the state of a run of these rules is a RuleRunner's (rules/rule-runner.ts). */
  compiled: CompiledRules;
  tests: RuleTestConfig[];
}

/** A config of the built-in components. */
export type Config = LoadedConfig<SourceConfig, SinkConfig>;
export type { ComponentTable, SinkConfig, SourceConfig };

export type LoadResult<C = Config> = { ok: true; config: C } | { ok: false; errors: string[] };

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Rule tests from a separate file (`log2events test --tests FILE`). */
  testsFile?: string;
}

/** Reads, substitutes, validates and compiles a config file of the built-in components. */
export function loadConfigFile(path: string, options: LoadOptions = {}): LoadResult {
  return loadConfigFileWith(BUILTIN_COMPONENTS, path, options);
}

/** A config given as text (`file` names it in the errors and is the base of its relative paths). */
export function loadConfigText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  return loadConfigTextWith(BUILTIN_COMPONENTS, text, file, options);
}

/** Reads, substitutes, validates and compiles a config file, reporting every problem at once. */
export function loadConfigFileWith<Src extends BoundSource, Snk extends BoundSink>(
  components: ComponentTable<Src, Snk>,
  path: string,
  options: LoadOptions = {},
): LoadResult<LoadedConfig<Src, Snk>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, errors: [`${path}: cannot read config: ${describeFsError(e)}`] };
  }
  return loadConfigTextWith(components, text, path, options);
}

export function loadConfigTextWith<Src extends BoundSource, Snk extends BoundSink>(
  components: ComponentTable<Src, Snk>,
  text: string,
  file: string,
  options: LoadOptions = {},
): LoadResult<LoadedConfig<Src, Snk>> {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  const { doc, diag } = parsed;

  // Aliases are counted before anything is expanded: a few lines of anchors can stand for
  // billions of nodes. Within that bound the YAML library's own alias limit is not needed.
  if (!checkAliasExpansion(doc, diag)) return { ok: false, errors: diag.formatted() };
  substituteVariables(doc, diag, options.env, dirname(resolve(file)));
  const raw = doc.toJS({ maxAliasCount: -1 }) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    diag.add([], 'the config must be a YAML mapping (state_dir, sources, sinks, rules)');
    return { ok: false, errors: diag.formatted() };
  }

  // Each top-level section is validated on its own, so a mistake in one does not hide the
  // mistakes in the others.
  // The schemas are built for this load and dropped with it: kept in module constants, they
  // (and what zod compiles for them) would stay alive for the whole run.
  const shape = topLevelSchema().shape;
  const top = {} as z.output<ReturnType<typeof topLevelSchema>>;
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(shape, key)) diag.add([key], `unknown key "${key}" (top-level keys: ${Object.keys(shape).join(', ')})`, 'key');
  }
  // Source and sink names become keys of plain objects: one named like a property every object
  // has (`__proto__`, `toString`) would vanish or answer for a name that is not there.
  for (const section of ['sources', 'sinks'] as const) {
    const entries = (raw as Record<string, unknown>)[section];
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) continue;
    const kept = Object.entries(entries).filter(([name]) => {
      if (isReservedName(name)) diag.add([section, name], RESERVED_NAME_MESSAGE(name), 'key');
      return !isReservedName(name);
    });
    (raw as Record<string, unknown>)[section] = Object.fromEntries(kept);
  }
  for (const [key, schema] of Object.entries(shape) as [keyof typeof shape, z.ZodType][]) {
    const value = validate(schema, (raw as Record<string, unknown>)[key], [key], diag);
    (top as Record<string, unknown>)[key] =
      value ??
      schema.safeParse(undefined).data ??
      (key === 'sources' || key === 'sinks' ? {} : key === 'rules' || key === 'tests' ? [] : undefined);
  }

  const baseDir = dirname(resolve(file));
  const sources = bindAll<Src, ComponentType<string, Src>>('sources', top.sources, components.sources, diag);
  const sinkKinds = new Map<string, SinkRuleChecks>();
  const sinks = bindAll<Snk, SinkKind<Snk>>('sinks', top.sinks, components.sinks, diag, (name, kind) => sinkKinds.set(name, kind));
  const rules: RuleConfig[] = [];
  const seenRules = new Map<string, number>();
  /** Where each rule of `rules` is in the file's list (rules that fail the schema are left out). */
  const ruleAt: number[] = [];
  const ruleSchemaOnce = ruleSchema();
  top.rules.forEach((value, i) => {
    // A wrong name (reported) must not hide the rule's other problems: those are checked under a
    // stand-in name.
    const rule = validate(ruleSchemaOnce, value, ['rules', i], diag) ?? withStandInName(ruleSchemaOnce, value, i);
    if (!rule) return;
    ruleAt.push(i);
    if (isReservedName(rule.name)) diag.add(['rules', i, 'name'], RESERVED_NAME_MESSAGE(rule.name));
    const prev = seenRules.get(rule.name);
    if (prev !== undefined) diag.add(['rules', i, 'name'], `duplicate rule name (first used by rules[${prev}])`);
    seenRules.set(rule.name, i);
    rule.to?.forEach((sink, j) => {
      if (!Object.hasOwn(top.sinks, sink))
        diag.add(['rules', i, 'to', j], `unknown sink "${sink}" (defined: ${listOr(Object.keys(top.sinks))})`);
    });
    rule.from?.forEach((src, j) => {
      if (!Object.hasOwn(top.sources, src))
        diag.add(['rules', i, 'from', j], `unknown source "${src}" (defined: ${listOr(Object.keys(top.sources))})`);
    });
    checkProviderFields(rule, ['rules', i], sinkKinds, diag);
    rules.push(rule);
  });
  const compiled = compileRules(rules, (ruleIndex, path, message) => {
    // ruleAt has an entry for every rule compiled: the fallback is never taken.
    diag.add(['rules', ruleAt[ruleIndex] ?? ruleIndex, ...path], message);
  });

  let tests: RuleTestConfig[] = [];
  if (options.testsFile) {
    const sub = loadTestsFile(options.testsFile, options.env);
    if (!sub.ok) return { ok: false, errors: [...diag.formatted(), ...sub.errors] };
    tests = sub.tests;
  } else {
    const testSchemaOnce = ruleTestSchema();
    top.tests.forEach((value, i) => {
      const t = validate(testSchemaOnce, value, ['tests', i], diag);
      if (t) tests.push(t);
    });
  }

  if (diag.count > 0) return { ok: false, errors: diag.formatted() };
  return {
    ok: true,
    config: {
      file,
      baseDir,
      state_dir: isAbsolute(top.state_dir) ? top.state_dir : resolve(baseDir, top.state_dir),
      log_level: top.log_level,
      admin: top.admin,
      delivery: top.delivery,
      kubernetes: top.kubernetes,
      sources,
      sinks,
      rules,
      compiled,
      tests,
    },
  };
}

function loadTestsFile(path: string, env?: NodeJS.ProcessEnv): { ok: true; tests: RuleTestConfig[] } | { ok: false; errors: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${path}: cannot read tests: ${describeFsError(err as NodeJS.ErrnoException)}`] };
  }
  const parsed = parseYaml(text, path);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  const { doc, diag } = parsed;
  if (!checkAliasExpansion(doc, diag)) return { ok: false, errors: diag.formatted() };
  substituteVariables(doc, diag, env, dirname(resolve(path)));
  const raw = doc.toJS({ maxAliasCount: -1 }) as unknown;
  const list = Array.isArray(raw) ? raw : (raw as { tests?: unknown } | null)?.tests;
  if (!Array.isArray(list)) {
    diag.add([], 'a tests file is a list of tests, or a mapping with a tests: list');
    return { ok: false, errors: diag.formatted() };
  }
  const prefix: ConfigPath = Array.isArray(raw) ? [] : ['tests'];
  const tests: RuleTestConfig[] = [];
  const testSchemaOnce = ruleTestSchema();
  list.forEach((value, i) => {
    const t = validate(testSchemaOnce, value, [...prefix, i], diag);
    if (t) tests.push(t);
  });
  return diag.count ? { ok: false, errors: diag.formatted() } : { ok: true, tests };
}

/**
 * Binds each entry of a `sources:` or `sinks:` map to the type its `type:` names in the table,
 * which validates it with that type's schema.
 */
function bindAll<B, K extends ComponentType<string, B>>(
  section: 'sources' | 'sinks',
  entries: Record<string, unknown>,
  kinds: readonly K[],
  diag: Diagnostics,
  onBound?: (name: string, kind: K) => void,
): Map<string, B> {
  const known = kinds.map((k) => k.type).sort();
  const out = new Map<string, B>();
  for (const [name, value] of Object.entries(entries)) {
    const typeName = typeOf(value, [section, name], diag, known);
    const kind = kinds.find((k) => k.type === typeName);
    if (!kind) continue;
    const bound = kind.bind(name, value, (schema, v) => validate(schema, v, [section, name], diag));
    if (bound === undefined) continue;
    out.set(name, bound);
    onBound?.(name, kind);
  }
  return out;
}

/** The rule as the schema reads it with a valid stand-in name; undefined if more than the name is wrong. */
function withStandInName(schema: ReturnType<typeof ruleSchema>, value: unknown, i: number): RuleConfig | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = schema.safeParse({ ...value, name: `rules_${i}_unnamed` });
  return r.success ? r.data : undefined;
}

function listOr(names: string[]): string {
  return names.length ? names.join(', ') : 'none';
}
