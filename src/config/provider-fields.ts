import type { ProviderName } from '../model/event.ts';
import { PROVIDER_NAMES } from '../model/event.ts';
import { DEFAULT_EVENT_SOURCE } from '../rules/compile.ts';
import type { RuleConfig } from '../rules/schema.ts';
import { isTemplated } from '../sinks/override-values.ts';
import { PROVIDER_OVERRIDES } from '../sinks/provider-overrides.ts';
import type { StaticEventFields, StaticProblem } from '../sinks/sink-type.ts';
import type { ConfigPath, Diagnostics } from './diagnostics.ts';

/** What a sink's type checks of the rules routed to it (sinks/sink-type.ts, `SinkKind`). */
export interface SinkRuleChecks {
  readonly provider?: ProviderName | undefined;
  checkStatic?(fields: StaticEventFields): StaticProblem[];
}

/**
 * Checks a rule's provider fields at load: each override block against its provider's schema (a
 * misspelled key or a wrong literal value is an error at its line; templated values are checked
 * when they render), and the rule's literal fields against the rules of every sink it routes to.
 */
export function checkProviderFields(
  rule: RuleConfig,
  at: ConfigPath,
  sinkKinds: ReadonlyMap<string, SinkRuleChecks>,
  diag: Diagnostics,
): void {
  const ev = rule.event;
  if (!ev) return;
  const literals: Partial<Record<ProviderName, Record<string, unknown>>> = {};
  for (const provider of PROVIDER_NAMES) {
    const block = ev[provider];
    if (!block) continue;
    const schema = PROVIDER_OVERRIDES[provider];
    const known = Object.keys(schema.shape);
    const fixed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(block)) {
      if (!known.includes(key))
        diag.add([...at, 'event', provider, key], `unknown key "${key}" in ${provider} (keys: ${known.join(', ')})`, 'key');
      else if (!isTemplated(value)) fixed[key] = value;
    }
    const r = schema.partial().safeParse(fixed);
    if (!r.success) {
      for (const issue of r.error.issues) {
        if (issue.code === 'unrecognized_keys') continue;
        diag.add([...at, 'event', provider, ...(issue.path as (string | number)[])], issue.message.replace(/^Invalid input: /, ''));
      }
    }
    literals[provider] = fixed;
  }
  rule.to?.forEach((sink) => {
    const kind = sinkKinds.get(sink);
    if (!kind?.checkStatic) return;
    const { provider } = kind;
    const fields: StaticEventFields = {
      name: literal(ev.name),
      source: ev.source === undefined ? DEFAULT_EVENT_SOURCE : literal(ev.source),
      group: literal(ev.group),
      overrides: provider ? (literals[provider] ?? {}) : {},
      overridden: provider ? Object.keys(ev[provider] ?? {}) : [],
    };
    for (const p of kind.checkStatic(fields)) diag.add([...at, 'event', ...p.path], `${p.message} (routed to sink "${sink}")`);
  });
}

function literal(v: string | undefined): string | undefined {
  return v === undefined || isTemplated(v) ? undefined : v;
}
