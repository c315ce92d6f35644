import type { Event } from '../model/event.ts';
import type { LogRecord } from '../model/log-record.ts';
import type { Labels, Metrics } from '../observability/metrics.ts';
import type { CompiledRules } from '../rules/compile.ts';
import { RuleRunner } from '../rules/rule-runner.ts';
import type { RecordProcessor } from '../sources/source.ts';
import type { Tap } from './tap.ts';

/**
 * The processor the sources hold: a run of the current compiled rules (their counters and
 * throttle windows), replaced by a reload that changes the rules, between two records. Counts records and events per source, and shows the events to the tap.
 */
export class RuleSwitch implements RecordProcessor {
  private runner: RuleRunner;
  private readonly metrics: Metrics;
  private readonly tap: Tap;
  /** Matches and suppressions of rule sets replaced by reloads: the counters never go back. */
  private readonly earlier = {
    matched: new Map<string, number>(),
    throttled: new Map<string, number>(),
    slowRegex: new Map<string, number>(),
  };
  private readonly labels = new Map<string, Labels>();

  constructor(rules: CompiledRules, metrics: Metrics, tap: Tap) {
    this.runner = new RuleRunner(rules);
    this.metrics = metrics;
    this.tap = tap;
  }

  get current(): CompiledRules {
    return this.runner.rules;
  }

  /** The new rules start with fresh throttle windows; the counts so far are kept. */
  swap(rules: CompiledRules): void {
    for (const key of ['matched', 'throttled', 'slowRegex'] as const) {
      for (const [rule, n] of this.runner.stats[key]) this.earlier[key].set(rule, (this.earlier[key].get(rule) ?? 0) + n);
    }
    this.runner = new RuleRunner(rules);
  }

  process(record: LogRecord, sourceName: string): Event[] {
    const events = this.runner.process(record, sourceName);
    const labels = this.labelsOf(sourceName);
    this.metrics.inc('log2events_source_records_total', 'Records a source handed to the rules', labels);
    if (events.length > 0) {
      this.metrics.inc('log2events_source_events_total', "Events the rules made of a source's records", labels, events.length);
      this.tap.events(sourceName, events);
    }
    return events;
  }

  literalsFor(sourceName: string): readonly string[] | null {
    return this.runner.literalsFor(sourceName);
  }

  /** Rule counters (this set's counts plus those of the sets it replaced), for a scrape. */
  ruleCounts(rule: string): { matched: number; throttled: number; slowRegex: number } {
    const s = this.runner.stats;
    const count = (key: 'matched' | 'throttled' | 'slowRegex') => (this.earlier[key].get(rule) ?? 0) + (s[key].get(rule) ?? 0);
    return { matched: count('matched'), throttled: count('throttled'), slowRegex: count('slowRegex') };
  }

  private labelsOf(source: string): Labels {
    let l = this.labels.get(source);
    if (!l) {
      l = { source };
      this.labels.set(source, l);
    }
    return l;
  }
}
