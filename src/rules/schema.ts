import { z } from 'zod';
import { duration } from '../core/duration.ts';

/*
 * The `rules:` config block. Conditions and mappings are validated here for shape only;
 * `compile.ts` checks what needs context (regexes, template references, sink names).
 * Each schema is built by a function the loader calls, so that none outlives a load.
 */
function scalar() {
  return z.union([z.string(), z.number(), z.boolean()]);
}

function matcherSchema() {
  return z.union([
    scalar(),
    z.strictObject({
      equals: scalar().optional(),
      not_equals: scalar().optional(),
      regex: z.string().optional(),
      exists: z.boolean().optional(),
      in: z.array(scalar()).optional(),
      contains: z.string().optional(),
    }),
  ]);
}
export type MatcherConfig = z.output<ReturnType<typeof matcherSchema>>;

export interface ConditionConfig {
  body?: string | undefined;
  contains?: string | string[] | undefined;
  severity?: string | number | undefined;
  attributes?: Record<string, MatcherConfig> | undefined;
  resource?: Record<string, MatcherConfig> | undefined;
  fields?: Record<string, MatcherConfig> | undefined;
  source?: string | string[] | undefined;
  all?: ConditionConfig[] | undefined;
  any?: ConditionConfig[] | undefined;
  not?: ConditionConfig | undefined;
}

function conditionSchema(): z.ZodType<ConditionConfig> {
  const matcher = matcherSchema();
  const condition: z.ZodType<ConditionConfig> = z.lazy(() =>
    z.strictObject({
      body: z.string().optional(),
      contains: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      severity: z.union([z.string(), z.number().int().min(0).max(24)]).optional(),
      attributes: z.record(z.string(), matcher).optional(),
      resource: z.record(z.string(), matcher).optional(),
      fields: z.record(z.string(), matcher).optional(),
      source: z.union([z.string(), z.array(z.string())]).optional(),
      all: z.array(condition).min(1).optional(),
      any: z.array(condition).min(1).optional(),
      not: condition.optional(),
    }),
  );
  return condition;
}

/** A template value inside an override block: strings are templates, the rest passes as is. */
export type OverrideValue = string | number | boolean | null | OverrideValue[] | { [k: string]: OverrideValue };
function overrideBlock() {
  const value: z.ZodType<OverrideValue> = z.lazy(() =>
    z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(value), z.record(z.string(), value)]),
  );
  return z.record(z.string(), value).optional();
}

function eventMappingSchema() {
  return z.strictObject({
    name: z.string().min(1),
    source: z.string().min(1).optional(),
    severity: z.string().optional(),
    state: z.string().optional(),
    action: z.enum(['raise', 'clear']).optional(),
    content: z.string().optional(),
    time: z.string().optional(),
    resource: z
      .strictObject({
        id: z.string().optional(),
        name: z.string().optional(),
        type: z.string().optional(),
        provider: z.string().optional(),
      })
      .optional(),
    group: z.string().optional(),
    user: z.string().optional(),
    dimensions: z.record(z.string(), z.string()).optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    key: z.string().optional(),
    aws: overrideBlock(),
    alibaba: overrideBlock(),
    huawei_ces: overrideBlock(),
    huawei_aom: overrideBlock(),
  });
}
export type EventMappingConfig = z.output<ReturnType<typeof eventMappingSchema>>;

function throttleSchema() {
  return z.strictObject({
    key: z.string().optional(),
    window: duration,
    max: z.number().int().min(1).default(1),
  });
}

/** One entry of `rules:`. */
export function ruleSchema() {
  return z
    .strictObject({
      name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, _ . -'),
      from: z.array(z.string()).optional(),
      when: conditionSchema().optional(),
      event: eventMappingSchema().optional(),
      to: z.array(z.string()).optional(),
      drop: z.boolean().default(false),
      continue: z.boolean().default(false),
      throttle: throttleSchema().optional(),
    })
    .superRefine((rule, ctx) => {
      if (rule.drop && (rule.event || rule.to)) {
        ctx.addIssue({ code: 'custom', message: 'a drop rule has no event and no to:', path: ['drop'] });
      }
      if (!rule.drop && !rule.event) ctx.addIssue({ code: 'custom', message: 'event: is required (or drop: true)', path: [] });
      if (!rule.drop && (!rule.to || rule.to.length === 0)) {
        ctx.addIssue({ code: 'custom', message: 'to: must name at least one sink', path: [] });
      }
    });
}
export type RuleConfig = z.output<ReturnType<typeof ruleSchema>>;

/** `tests:` — rule unit tests run by `log2events test`. */
export function ruleTestSchema() {
  return z
    .strictObject({
      name: z.string().min(1),
      source: z.string().optional(),
      input: z.string().optional(),
      record: z
        .strictObject({
          body: z.unknown().optional(),
          severity_text: z.string().optional(),
          severity_number: z.number().int().min(0).max(24).optional(),
          attributes: z.record(z.string(), z.unknown()).optional(),
          resource: z.record(z.string(), z.unknown()).optional(),
          fields: z.record(z.string(), z.unknown()).optional(),
          time: z.union([z.string(), z.number()]).optional(),
          trace_id: z.string().optional(),
          span_id: z.string().optional(),
        })
        .optional(),
      /** Read `input` as a file source would: its lines in this format (plain, json, cri, docker, auto). */
      format: z.enum(['plain', 'json', 'cri', 'docker', 'auto']).optional(),
      /** Read `input` as tailed from this path (log.file.* attributes, Kubernetes names of a /var/log/pods path). */
      path: z.string().min(1).optional(),
      /** The pod's metadata, as the Kubernetes API gives it (`kubectl get pod NAME -o yaml`). */
      pod: z.record(z.string(), z.unknown()).optional(),
      /** Several inputs processed in order, for throttling tests. */
      repeat: z.number().int().min(1).max(1_000_000).default(1),
      expect: z.array(z.record(z.string(), z.unknown())),
    })
    .superRefine((t, ctx) => {
      if ((t.input === undefined) === (t.record === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'give exactly one of input: (a line) or record: (a log record)', path: [] });
      }
      if (t.record !== undefined && (t.format !== undefined || t.path !== undefined)) {
        ctx.addIssue({ code: 'custom', message: 'format: and path: describe how input: lines are read; a record: has neither', path: [] });
      }
    });
}
export type RuleTestConfig = z.output<ReturnType<typeof ruleTestSchema>>;
