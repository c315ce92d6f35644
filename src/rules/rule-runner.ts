import type { Event } from '../model/event.ts';
import type { LogRecord } from '../model/log-record.ts';
import type { RecordProcessor } from '../sources/source.ts';
import type { CompiledRule, CompiledRules } from './compile.ts';
import { MatchContext } from './match-context.ts';
import { Throttle } from './throttle.ts';

export interface RuleStats {
  matched: Map<string, number>;
  throttled: Map<string, number>;
  /** Regex matches on long subjects that took longer than SLOW_MATCH_MS (core/regex.ts). */
  slowRegex: Map<string, number>;
}

/**
 * One run of a compiled rule set: the state records leave behind (counters per rule, each
 * throttled rule's windows). The compiled rules belong to the immutable config; a runner belongs
 * to whoever feeds records (the agent, a rule test, `eval`), so loading a config never starts a
 * count, and a new runner starts its throttle windows afresh.
 */
export class RuleRunner implements RecordProcessor {
  readonly rules: CompiledRules;
  readonly stats: RuleStats = { matched: new Map(), throttled: new Map(), slowRegex: new Map() };
  /** Each rule with its throttle's windows and its slow-regex counter (made once, not per record). */
  private readonly running: readonly RunningRule[];

  constructor(rules: CompiledRules, now: () => number = Date.now) {
    this.rules = rules;
    this.running = rules.rules.map((rule) => ({
      rule,
      gate: rule.throttle ? new Throttle(rule.throttle.windowMs, rule.throttle.max, now) : undefined,
      onSlow: () => count(this.stats.slowRegex, rule.name),
    }));
  }

  process(record: LogRecord, sourceName: string): Event[] {
    const ctx = new MatchContext(record, sourceName);
    let out: Event[] | undefined;
    for (const { rule, gate, onSlow } of this.running) {
      if (rule.from && !rule.from.has(sourceName)) continue;
      ctx.captures = {};
      ctx.onSlowRegex = onSlow;
      if (!rule.test(ctx)) continue;
      count(this.stats.matched, rule.name);
      if (rule.drop) break;
      if (rule.map) {
        const event = rule.map(ctx);
        let pass = true;
        if (rule.throttle && gate) {
          const key = rule.throttle.key ? rule.throttle.key(ctx) : event.key;
          const d = gate.check(key);
          pass = d.pass;
          if (!pass) count(this.stats.throttled, rule.name);
          else if (d.suppressed > 0) event.attributes.suppressed_count = String(d.suppressed);
        }
        if (pass) (out ??= []).push(event);
      }
      if (!rule.continue) break;
    }
    return out ?? [];
  }

  literalsFor(sourceName: string): readonly string[] | null {
    return this.rules.literalsFor(sourceName);
  }
}

interface RunningRule {
  rule: CompiledRule;
  gate: Throttle | undefined;
  onSlow: () => void;
}

function count(map: Map<string, number>, rule: string): void {
  map.set(rule, (map.get(rule) ?? 0) + 1);
}
