import { hash, randomUUID } from 'node:crypto';
import type { Event, EventAction, EventState, ProviderName } from '../model/event.ts';
import { EVENT_STATES, PROVIDER_NAMES } from '../model/event.ts';
import type { LogRecord } from '../model/log-record.ts';
import { EVENT_SEVERITIES, eventSeverityFor, severityNumberOf, type EventSeverity } from '../model/severity.ts';
import { compileCondition, type Predicate } from './condition.ts';
import type { MatchContext } from './match-context.ts';
import type { EventMappingConfig, OverrideValue, RuleConfig } from './schema.ts';
import { compileTemplate, type Template } from './template.ts';

/** The source of an event whose rule names none. */
export const DEFAULT_EVENT_SOURCE = 'log2events';

export type RuleErrorSink = (ruleIndex: number, path: (string | number)[], message: string) => void;

/** One rule as compiled at load: what it matches and makes. Holds no state of its own. */
export interface CompiledRule {
  readonly name: string;
  readonly from: ReadonlySet<string> | undefined;
  readonly test: Predicate;
  readonly literals: readonly string[] | null;
  readonly drop: boolean;
  readonly continue: boolean;
  readonly to: readonly string[];
  readonly map: ((ctx: MatchContext) => Event) | undefined;
  /** The throttle's settings; its windows live with the runner (rule-runner.ts). */
  readonly throttle: { readonly key: Template | undefined; readonly windowMs: number; readonly max: number } | undefined;
}

/**
 * The compiled `rules:` list, part of the immutable config. Records go through a `RuleRunner`,
 * which holds the counters and throttle windows of one run of these rules.
 */
export class CompiledRules {
  readonly rules: readonly CompiledRule[];
  /** A memo of literalsFor, a pure function of the rules. */
  private readonly literalCache = new Map<string, readonly string[] | null>();

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
  }

  /** Literals of which every line some rule for this source can match contains one; null: any line may match. */
  literalsFor(sourceName: string): readonly string[] | null {
    const cached = this.literalCache.get(sourceName);
    if (cached !== undefined) return cached;
    let result: string[] | null = [];
    for (const rule of this.rules) {
      if (rule.from && !rule.from.has(sourceName)) continue;
      // A drop rule only removes matches, so it never widens what can match.
      if (rule.drop) continue;
      if (!rule.literals) {
        result = null;
        break;
      }
      result.push(...rule.literals);
    }
    const final = result ? [...new Set(result)] : null;
    this.literalCache.set(sourceName, final);
    return final;
  }
}

export function compileRules(rules: RuleConfig[], report: RuleErrorSink): CompiledRules {
  const compiled: CompiledRule[] = [];
  rules.forEach((rule, index) => {
    const err = (path: (string | number)[], message: string) => report(index, path, message);
    const cond = compileCondition(rule.when, (p, m) => err(['when', ...p], m));
    const map = rule.event ? compileMapping(rule.name, rule.event, rule.to ?? [], cond.captures, err) : undefined;
    let throttle: CompiledRule['throttle'];
    if (rule.throttle) {
      let key: Template | undefined;
      if (rule.throttle.key) {
        const t = compileTemplate(rule.throttle.key, cond.captures);
        if (t.ok) key = t.template;
        else for (const e of t.errors) err(['throttle', 'key'], e);
      }
      throttle = { key, windowMs: rule.throttle.window, max: rule.throttle.max };
    }
    compiled.push({
      name: rule.name,
      from: rule.from ? new Set(rule.from) : undefined,
      test: cond.test,
      literals: cond.literals,
      drop: rule.drop,
      continue: rule.continue,
      to: rule.to ?? [],
      map,
      throttle,
    });
  });
  return new CompiledRules(compiled);
}

type Err = (path: (string | number)[], message: string) => void;
/** Compiles a template of the rule's `event:` at `path`; a broken one is reported and renders ''. */
type CompileTemplate = (value: string, path: (string | number)[]) => Template;

function compileMapping(
  ruleName: string,
  m: EventMappingConfig,
  to: string[],
  captures: Set<string>,
  err: Err,
): (ctx: MatchContext) => Event {
  const t: CompileTemplate = (value, path) => {
    const r = compileTemplate(value, captures);
    if (!r.ok) {
      for (const e of r.errors) err(['event', ...path], e);
      return () => '';
    }
    return r.template;
  };
  const optional = (value: string | undefined, path: (string | number)[]) => (value === undefined ? undefined : t(value, path));

  const name = t(m.name, ['name']);
  const source = t(m.source ?? DEFAULT_EVENT_SOURCE, ['source']);
  const content = t(m.content ?? '{{body}}', ['content']);
  const severity = enumTemplate<EventSeverity>(m.severity, EVENT_SEVERITIES, ['severity'], t, err);
  const state = enumTemplate<EventState>(m.state, EVENT_STATES, ['state'], t, err);
  const action: EventAction = m.action ?? 'raise';
  const time = optional(m.time, ['time']);
  const resource = {
    id: optional(m.resource?.id, ['resource', 'id']),
    name: optional(m.resource?.name, ['resource', 'name']),
    type: optional(m.resource?.type, ['resource', 'type']),
    provider: optional(m.resource?.provider, ['resource', 'provider']),
  };
  const group = optional(m.group, ['group']);
  const user = optional(m.user, ['user']);
  const dims = mapTemplates(m.dimensions, ['dimensions'], t);
  const attrs = mapTemplates(m.attributes, ['attributes'], t);
  const key = optional(m.key, ['key']);
  const overrides: [ProviderName, (ctx: MatchContext) => Record<string, unknown>][] = [];
  for (const provider of PROVIDER_NAMES) {
    const block = m[provider];
    if (block) overrides.push([provider, compileOverride(block, [provider], t) as (ctx: MatchContext) => Record<string, unknown>]);
  }

  // Indexed loops below, not for-of: the mapper runs once per matched record, and an iterator
  // (with the array literal it walks) is garbage the optimiser does not always remove.
  const resourceTemplates = RESOURCE_KEYS.flatMap((k) => {
    const tpl = resource[k];
    return tpl ? [[k, tpl] as const] : [];
  });
  return (ctx) => {
    const sev = (severity && (severity(ctx) as EventSeverity | undefined)) || eventSeverityFor(effective(ctx));
    const res: Event['resource'] = {};
    for (let i = 0; i < resourceTemplates.length; i++) {
      const entry = resourceTemplates[i];
      if (!entry) continue;
      const v = entry[1](ctx);
      if (v) res[entry[0]] = v;
    }
    const ev: Event = {
      id: eventId(ctx.record, ruleName),
      rule: ruleName,
      name: name(ctx),
      source: source(ctx),
      time: time ? (parseTime(time(ctx)) ?? ctx.timeMs) : ctx.timeMs,
      severity: sev,
      state: (state && (state(ctx) as EventState | undefined)) || defaultState(sev, action),
      action,
      content: content(ctx),
      resource: res,
      dimensions: dims ? evalMap(dims, ctx) : {},
      attributes: attrs ? evalMap(attrs, ctx) : {},
      key: '',
      to,
      overrides: {},
    };
    if (group) ev.group = group(ctx);
    if (user) ev.user = user(ctx);
    if (ctx.record.traceId) ev.traceId = ctx.record.traceId;
    if (ctx.record.spanId) ev.spanId = ctx.record.spanId;
    ev.key = key ? key(ctx) : `${ev.name}|${res.id ?? ''}`;
    for (let i = 0; i < overrides.length; i++) {
      const entry = overrides[i];
      if (entry) ev.overrides[entry[0]] = entry[1](ctx);
    }
    return ev;
  };
}

function effective(ctx: MatchContext): number {
  return ctx.record.severityNumber || (ctx.record.severityText ? (severityNumberOf(ctx.record.severityText) ?? 0) : 0);
}

function defaultState(sev: EventSeverity, action: EventAction): EventState {
  if (action === 'clear') return 'normal';
  return sev === 'Critical' || sev === 'Major' ? 'incident' : sev === 'Minor' ? 'warning' : 'normal';
}

/** An enum-valued field: a literal is checked at load; a template is checked when it renders. */
function enumTemplate<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  path: (string | number)[],
  t: CompileTemplate,
  err: Err,
): ((ctx: MatchContext) => T | undefined) | undefined {
  if (value === undefined) return undefined;
  if (!value.includes('{{')) {
    const hit = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!hit) err(['event', ...path], `"${value}" is not one of ${allowed.join(', ')}`);
    return () => hit;
  }
  const tpl = t(value, path);
  return (ctx) => {
    const v = tpl(ctx).toLowerCase();
    return allowed.find((a) => a.toLowerCase() === v);
  };
}

function mapTemplates(
  map: Record<string, string> | undefined,
  path: (string | number)[],
  t: CompileTemplate,
): [string, Template][] | undefined {
  if (!map) return undefined;
  return Object.entries(map).map(([k, v]) => [k, t(v, [...path, k])]);
}

function evalMap(entries: [string, Template][], ctx: MatchContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry) out[entry[0]] = entry[1](ctx);
  }
  return out;
}

const RESOURCE_KEYS = ['id', 'name', 'type', 'provider'] as const;

function compileOverride(value: OverrideValue, path: (string | number)[], t: CompileTemplate): (ctx: MatchContext) => unknown {
  if (typeof value === 'string') {
    const tpl = t(value, path);
    return (ctx) => tpl(ctx);
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileOverride(v, [...path, i], t));
    return (ctx) => items.map((f) => f(ctx));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, compileOverride(v, [...path, k], t)] as const);
    return (ctx) => Object.fromEntries(entries.map(([k, f]) => [k, f(ctx)]));
  }
  return () => value;
}

function parseTime(text: string): number | undefined {
  if (!text) return undefined;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? n * 1000 : n < 1e14 ? n : Math.floor(n / 1e6);
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Same record + same rule → same id, across retries, replays and restarts. */
export function eventId(record: LogRecord, rule: string): string {
  if (!record.origin) return randomUUID();
  return hash('sha256', `${record.origin}\0${rule}`, 'hex').slice(0, 32);
}
