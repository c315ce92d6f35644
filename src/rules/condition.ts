import type { AnyValue } from '../model/log-record.ts';
import { severityNumberOf } from '../model/severity.ts';
import { fieldLookup, lookup, valueText, type MatchContext } from './match-context.ts';
import { compileRegex, execTimed, requiredLiteral } from '../core/regex.ts';
import type { ConditionConfig, MatcherConfig } from './schema.ts';

export type Predicate = (ctx: MatchContext) => boolean;

export interface CompiledCondition {
  test: Predicate;
  /** Named captures the condition can fill. */
  captures: Set<string>;
  /**
   * Literals of which a matching body contains at least one; null when the condition does not
   * constrain the body text to any literal.
   */
  literals: string[] | null;
}

export type ConditionErrorSink = (path: (string | number)[], message: string) => void;

const ALWAYS: CompiledCondition = { test: () => true, captures: new Set(), literals: null };

/** A slow regex on a long subject is reported through the record's `ctx.onSlowRegex`. */
export function compileCondition(
  cfg: ConditionConfig | undefined,
  report: ConditionErrorSink,
  path: (string | number)[] = [],
): CompiledCondition {
  if (!cfg) return ALWAYS;
  const parts: CompiledCondition[] = [];

  if (cfg.body !== undefined) {
    const r = compileRegex(cfg.body);
    if (!r.ok) report([...path, 'body'], r.error);
    else {
      const regex = r.regex;
      const hasNames = r.names.length > 0;
      const lit = requiredLiteral(regex);
      parts.push({
        captures: new Set(r.names),
        literals: lit ? [lit] : null,
        test: hasNames
          ? (ctx) => {
              const m = execTimed(regex, ctx.body, ctx.onSlowRegex);
              if (!m) return false;
              if (m.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) ctx.captures[k] = v;
              return true;
            }
          : (ctx) => execTimed(regex, ctx.body, ctx.onSlowRegex) !== null,
      });
    }
  }

  if (cfg.contains !== undefined) {
    const needles = Array.isArray(cfg.contains) ? cfg.contains : [cfg.contains];
    const longest = needles.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
    parts.push({
      captures: new Set(),
      literals: [longest],
      test: needles.length === 1 ? (ctx) => ctx.body.includes(longest) : (ctx) => needles.every((n) => ctx.body.includes(n)),
    });
  }

  if (cfg.severity !== undefined) {
    const cmp = parseSeverityComparison(cfg.severity);
    if (typeof cmp === 'string') report([...path, 'severity'], cmp);
    else parts.push({ captures: new Set(), literals: null, test: (ctx) => cmp(effectiveSeverity(ctx)) });
  }

  for (const scope of ['attributes', 'resource', 'fields'] as const) {
    const matchers = cfg[scope];
    if (!matchers) continue;
    for (const [key, m] of Object.entries(matchers)) {
      const get =
        scope === 'attributes'
          ? (ctx: MatchContext) => lookup(ctx.record.attributes, key)
          : scope === 'resource'
            ? (ctx: MatchContext) => lookup(ctx.record.resource, key)
            : (ctx: MatchContext) => fieldLookup(ctx, key);
      const compiled = compileMatcher(m, get, (msg) => report([...path, scope, key], msg));
      if (compiled) parts.push(compiled);
    }
  }

  if (cfg.source !== undefined) {
    const names = new Set(Array.isArray(cfg.source) ? cfg.source : [cfg.source]);
    parts.push({ captures: new Set(), literals: null, test: (ctx) => names.has(ctx.sourceName) });
  }

  if (cfg.all) {
    const subs = cfg.all.map((c, i) => compileCondition(c, report, [...path, 'all', i]));
    parts.push(conjunction(subs));
  }
  if (cfg.any) {
    const subs = cfg.any.map((c, i) => compileCondition(c, report, [...path, 'any', i]));
    parts.push({
      captures: union(subs.map((s) => s.captures)),
      literals: anyLiterals(subs),
      test: (ctx) => subs.some((s) => s.test(ctx)),
    });
  }
  if (cfg.not) {
    const sub = compileCondition(cfg.not, report, [...path, 'not']);
    parts.push({ captures: new Set(), literals: null, test: (ctx) => !sub.test(ctx) });
  }

  const [only, ...more] = parts;
  if (!only) return ALWAYS;
  return more.length === 0 ? only : conjunction(parts);
}

/** Literals of `any:`: a matching body contains one of some branch's; null when a branch has none. */
function anyLiterals(subs: readonly CompiledCondition[]): string[] | null {
  const all: string[] = [];
  for (const s of subs) {
    if (!s.literals) return null;
    all.push(...s.literals);
  }
  return [...new Set(all)];
}

function conjunction(parts: CompiledCondition[]): CompiledCondition {
  // Cheapest first: literal checks before regexes, so most records fail fast.
  const ordered = [...parts];
  // Any part's literal set is required; pick the one with the fewest, longest literals.
  let literals: string[] | null = null;
  for (const p of ordered) {
    if (p.literals && (!literals || score(p.literals) > score(literals))) literals = p.literals;
  }
  return {
    captures: union(parts.map((p) => p.captures)),
    literals,
    test: (ctx) => {
      for (const p of ordered) if (!p.test(ctx)) return false;
      return true;
    },
  };
}

function score(lits: string[]): number {
  return Math.min(...lits.map((l) => Buffer.byteLength(l))) / lits.length;
}

function union(sets: Set<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const v of s) out.add(v);
  return out;
}

function effectiveSeverity(ctx: MatchContext): number {
  const n = ctx.record.severityNumber;
  if (n > 0) return n;
  return ctx.record.severityText ? (severityNumberOf(ctx.record.severityText) ?? 0) : 0;
}

/** `>= ERROR`, `<WARN`, `== INFO2`, `!= DEBUG`, `17`, `ERROR` (a bare level means "at least"). */
export function parseSeverityComparison(spec: string | number): ((n: number) => boolean) | string {
  if (typeof spec === 'number') return (n) => n >= spec;
  const m = /^\s*(>=|<=|==|!=|>|<|=)?\s*([A-Za-z]+\d?|\d{1,2})\s*$/.exec(spec);
  if (!m) return `invalid severity "${spec}" (use e.g. ">= ERROR", "< WARN", "== INFO", or a number 1-24)`;
  const op = m[1] ?? '>=';
  const [, , word = ''] = m;
  const level = /^\d+$/.test(word) ? Number(word) : severityNumberOf(word);
  if (level === undefined || level > 24)
    return `unknown severity "${m[2]}" (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, optionally 2-4, or 1-24)`;
  switch (op) {
    case '>=':
      return (n) => n >= level;
    case '>':
      return (n) => n > level;
    case '<=':
      return (n) => n > 0 && n <= level;
    case '<':
      return (n) => n > 0 && n < level;
    case '!=':
      return (n) => n !== level;
    default:
      return (n) => n === level;
  }
}

function compileMatcher(
  m: MatcherConfig,
  get: (ctx: MatchContext) => AnyValue | undefined,
  report: (msg: string) => void,
): CompiledCondition | undefined {
  const checks: ((v: AnyValue | undefined, ctx: MatchContext) => boolean)[] = [];
  const captures = new Set<string>();
  if (typeof m !== 'object') {
    const want = String(m);
    checks.push((v) => v !== undefined && valueText(v) === want);
  } else {
    if (m.exists !== undefined) {
      const want = m.exists;
      checks.push((v) => (v !== undefined && v !== null) === want);
    }
    if (m.equals !== undefined) {
      const want = String(m.equals);
      checks.push((v) => v !== undefined && valueText(v) === want);
    }
    if (m.not_equals !== undefined) {
      const want = String(m.not_equals);
      checks.push((v) => valueText(v) !== want);
    }
    if (m.in !== undefined) {
      const set = new Set(m.in.map(String));
      checks.push((v) => v !== undefined && set.has(valueText(v)));
    }
    if (m.contains !== undefined) {
      const needle = m.contains;
      checks.push((v) => v !== undefined && valueText(v).includes(needle));
    }
    if (m.regex !== undefined) {
      const r = compileRegex(m.regex);
      if (!r.ok) {
        report(r.error);
        return undefined;
      }
      const regex = r.regex;
      for (const n of r.names) captures.add(n);
      checks.push((v, ctx) => {
        if (v === undefined) return false;
        const match = execTimed(regex, valueText(v), ctx.onSlowRegex);
        if (!match) return false;
        if (match.groups) for (const [k, val] of Object.entries(match.groups)) if (val !== undefined) ctx.captures[k] = val;
        return true;
      });
    }
    if (checks.length === 0) {
      report('a matcher needs one of equals, not_equals, regex, exists, in, contains');
      return undefined;
    }
  }
  return {
    captures,
    literals: null,
    test: (ctx) => {
      const v = get(ctx);
      for (const c of checks) if (!c(v, ctx)) return false;
      return true;
    },
  };
}
