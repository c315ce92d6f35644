import { readFileSync } from 'node:fs';
import { resolve, dirname, isAbsolute } from 'node:path';
import { isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { checkAliasExpansion } from './aliases.ts';
import { isReservedName, RESERVED_NAME_MESSAGE } from './reserved-names.ts';
import type { z } from 'zod';
import '../builtins.ts';
import { Diagnostics, type ConfigPath } from './diagnostics.ts';
import { checkProviderFields } from './provider-fields.ts';
import { substituteVariables } from './substitute.ts';
import { topLevelSchema, ruleSchema, ruleTestSchema } from './schema.ts';
import { sourceType, sourceTypeNames } from '../sources/registry.ts';
import { sinkType, sinkTypeNames } from '../sinks/registry.ts';
import type { DeliveryConfig } from '../delivery/options.ts';
import { sinkCommonShape, type SinkCommonOptions } from '../sinks/common-options.ts';
import type { RuleConfig, RuleTestConfig } from '../rules/schema.ts';
import { compileRules, type CompiledRules } from '../rules/compile.ts';
import type { ListenAddress } from '../core/listen-address.ts';
import type { KubernetesConfig } from '../kubernetes/config.ts';

export interface SourceConfig {
  name: string;
  type: string;
  options: Record<string, unknown> & { type: string };
}

export interface SinkConfig {
  name: string;
  type: string;
  options: Record<string, unknown> & SinkCommonOptions & { type: string };
}

/** A config file parsed, substituted, validated and compiled: trusted from here on. */
export interface Config {
  file: string;
  /** The config file's directory; relative paths in the config resolve against it. */
  baseDir: string;
  state_dir: string;
  log_level: 'debug' | 'info' | 'warn' | 'error';
  admin: { listen?: ListenAddress | undefined };
  delivery: DeliveryConfig;
  kubernetes?: KubernetesConfig | undefined;
  sources: Map<string, SourceConfig>;
  sinks: Map<string, SinkConfig>;
  rules: RuleConfig[];
  compiled: CompiledRules;
  tests: RuleTestConfig[];
}

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] };

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Rule tests from a separate file (`log2events test --tests FILE`). */
  testsFile?: string;
}

/** Reads, substitutes, validates and compiles a config file, reporting every problem at once. */
export function loadConfigFile(path: string, options: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, errors: [`${path}: cannot read config: ${describeFsError(e)}`] };
  }
  return loadConfigText(text, path, options);
}

export function loadConfigText(text: string, file: string, options: LoadOptions = {}): LoadResult {
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
  const shape = topLevelSchema.shape;
  const top = {} as z.output<typeof topLevelSchema>;
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
  const sources = validateTyped<SourceConfig>('sources', top.sources, sourceTypeNames(), (t) => sourceType(t)?.schema, diag);
  const sinks = validateTyped<SinkConfig>('sinks', top.sinks, sinkTypeNames(), (t) => sinkType(t)?.schema, diag);

  const sinkTypes = new Map([...sinks].map(([name, s]) => [name, s.type]));
  const rules: RuleConfig[] = [];
  const seenRules = new Map<string, number>();
  /** Where each rule of `rules` is in the file's list (rules that fail the schema are left out). */
  const ruleAt: number[] = [];
  top.rules.forEach((value, i) => {
    // A wrong name (reported) must not hide the rule's other problems: those are checked under a
    // stand-in name.
    const rule = validate(ruleSchema, value, ['rules', i], diag) ?? withStandInName(value, i);
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
    checkProviderFields(rule, ['rules', i], sinkTypes, diag);
    rules.push(rule);
  });
  const compiled = compileRules(rules, (ruleIndex, path, message) => {
    diag.add(['rules', ruleAt[ruleIndex] ?? indexOfRule(top.rules, rules[ruleIndex]!.name, ruleIndex), ...path], message);
  });

  let tests: RuleTestConfig[] = [];
  if (options.testsFile) {
    const sub = loadTestsFile(options.testsFile, options.env);
    if (!sub.ok) return { ok: false, errors: [...diag.formatted(), ...sub.errors] };
    tests = sub.tests;
  } else {
    top.tests.forEach((value, i) => {
      const t = validate(ruleTestSchema, value, ['tests', i], diag);
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
  list.forEach((value, i) => {
    const t = validate(ruleTestSchema, value, [...prefix, i], diag);
    if (t) tests.push(t);
  });
  return diag.count ? { ok: false, errors: diag.formatted() } : { ok: true, tests };
}

/**
 * Parses YAML, placing syntax errors and duplicate keys (the latter at the repeated key, with
 * its path, rather than at the enclosing map as the parser does).
 */
function parseYaml(text: string, file: string): { ok: true; doc: Document; diag: Diagnostics } | { ok: false; errors: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, strict: true });
  const diag = new Diagnostics(file, doc, lines);
  for (const err of [...doc.errors, ...doc.warnings]) {
    diag.addAt(err.pos[0], [], yamlMessage(err.message));
  }
  visit(doc, {
    Map(_key, map, ancestry) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        const at = pair.key.range?.[0] ?? 0;
        const first = seen.get(k);
        if (first !== undefined) {
          const path = [...yamlPath(ancestry), k];
          diag.addAt(at, path, `duplicate key "${k}" (first defined at line ${lines.linePos(first).line})`);
        } else seen.set(k, at);
      }
    },
  });
  if (diag.count > 0) return { ok: false, errors: diag.formatted() };
  return { ok: true, doc, diag };
}

function yamlPath(ancestry: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (let i = 0; i < ancestry.length; i++) {
    const node = ancestry[i];
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (isSeq(node)) {
      const next = ancestry[i + 1];
      const idx = node.items.indexOf(next as never);
      if (idx >= 0) path.push(idx);
    }
  }
  return path;
}

/** Runs a zod schema and turns every issue into a placed diagnostic. */
function validate<S extends z.ZodType>(schema: S, value: unknown, base: ConfigPath, diag: Diagnostics): z.output<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) diag.add([...path, key], `unknown key "${key}"`, 'key');
    } else if (issue.code === 'invalid_union') {
      diag.add(path, unionMessage(issue));
    } else {
      diag.add(path, issueMessage(issue.message, value, issue.path as (string | number)[]));
    }
  }
  return undefined;
}

function issueMessage(message: string, root: unknown, rel: (string | number)[]): string {
  // zod reports a missing key as "expected X, received undefined": say "required" instead.
  if (/received undefined$/.test(message) && getAt(root, rel) === undefined) return `required (${message.replace(/^Invalid input: /, '')})`;
  return message.replace(/^Invalid input: /, '');
}

function unionMessage(issue: { errors?: unknown[][]; message: string }): string {
  // Prefer the branch that got furthest: the one whose issues point deepest.
  const branches = (issue.errors ?? []) as { path: unknown[]; message: string }[][];
  let best: { path: unknown[]; message: string } | undefined;
  for (const b of branches) for (const i of b) if (!best || i.path.length > best.path.length) best = i;
  if (best && best.path.length > 0) return `${best.path.join('.')}: ${best.message.replace(/^Invalid input: /, '')}`;
  return issue.message.replace(/^Invalid input/, 'invalid value');
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** Validates a `sources:` or `sinks:` map, each entry by the schema its `type` registered. */
function validateTyped<C extends { name: string; type: string; options: unknown }>(
  section: 'sources' | 'sinks',
  entries: Record<string, unknown>,
  known: string[],
  schemaOf: (type: string) => z.ZodType | undefined,
  diag: Diagnostics,
): Map<string, C> {
  const out = new Map<string, C>();
  for (const [name, value] of Object.entries(entries)) {
    const typeName = typeOf(value, [section, name], diag, known);
    const schema = typeName ? schemaOf(typeName) : undefined;
    if (!schema || !typeName) continue;
    const parsed = validate(schema, value, [section, name], diag);
    if (parsed) out.set(name, { name, type: typeName, options: parsed } as C);
  }
  return out;
}

function typeOf(value: unknown, path: ConfigPath, diag: Diagnostics, known: string[]): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    diag.add(path, 'must be a mapping with a type: key');
    return undefined;
  }
  const t = (value as { type?: unknown }).type;
  if (typeof t !== 'string') {
    diag.add(path, `type: is required (one of ${known.join(', ')})`);
    return undefined;
  }
  if (!known.includes(t)) {
    diag.add([...path, 'type'], `unknown type "${t}" (one of ${known.join(', ')})`);
    return undefined;
  }
  return t;
}

/** The rule as the schema reads it with a valid stand-in name; undefined if more than the name is wrong. */
function withStandInName(value: unknown, i: number): RuleConfig | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = ruleSchema.safeParse({ ...value, name: `rules_${i}_unnamed` });
  return r.success ? r.data : undefined;
}

function indexOfRule(rawRules: unknown[], name: string, fallback: number): number {
  const i = rawRules.findIndex((r) => (r as { name?: unknown } | null)?.name === name);
  return i >= 0 ? i : fallback;
}

function listOr(names: string[]): string {
  return names.length ? names.join(', ') : 'none';
}

function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

export function describeFsError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return e.message;
  }
}

export { sinkCommonShape };
