import { isDeepStrictEqual } from 'node:util';
import type { Event } from '../model/event.ts';
import { nowUnixNano, type AnyValue, type LogRecord } from '../model/log-record.ts';
import { severityNumberOf } from '../model/severity.ts';
import type { KubernetesConfig } from '../kubernetes/config.ts';
import type { PodInfo } from '../kubernetes/pod.ts';
import type { FileSourceConfig } from '../sources/file/config.ts';
import { lineRecord } from '../sources/line-record.ts';
import { podRecord } from '../sources/pod-enrichment.ts';
import { simulatedPod, simulatesFile, SimulatedLines } from '../sources/simulate.ts';
import { compileRules } from './compile.ts';
import { RuleRunner } from './rule-runner.ts';
import type { RuleConfig, RuleTestConfig } from './schema.ts';

export interface RuleTestResult {
  name: string;
  passed: boolean;
  /** Human-readable differences, one per line. */
  diff: string[];
  events: Event[];
}

/**
 * Runs `tests:` the way `vector test` does: each test gets a fresh run of the rules (so throttle
 * state does not leak between tests), feeds its input, and compares the events that come out
 * with the expected ones, field by field (only the fields the test names).
 */
export function runRuleTests(
  rules: RuleConfig[],
  tests: RuleTestConfig[],
  defaultSource: string,
  opts: RuleTestOptions = {},
): RuleTestResult[] {
  const compiled = compileRules(rules, () => undefined);
  return tests.map((test) => {
    const runner = new RuleRunner(compiled);
    const source = test.source ?? defaultSource;
    const pod = test.pod === undefined ? undefined : simulatedPod(test.pod, opts.kubernetes);
    if (pod && !pod.ok) return { name: test.name, passed: false, diff: [`pod: ${pod.error}`], events: [] };
    const events: Event[] = [];
    for (let i = 0; i < test.repeat; i++) {
      for (const record of testRecords(test, i, pod?.pod, opts.fileConfig?.(source), opts.kubernetes))
        events.push(...runner.process(record, source));
    }
    const diff = compareEvents(test.expect, events);
    return { name: test.name, passed: diff.length === 0, diff, events };
  });
}

export interface RuleTestOptions {
  /** The file source config of a source name (its decoders and multiline apply to `format:`/`path:` tests). */
  fileConfig?: (source: string) => FileSourceConfig | undefined;
  kubernetes?: KubernetesConfig | undefined;
}

/** A test's records: its line as stdin reads it, or its lines as a tailed file would give them, or its record. */
function testRecords(
  test: RuleTestConfig,
  i: number,
  pod: PodInfo | undefined,
  fileConfig: FileSourceConfig | undefined,
  kubernetes: KubernetesConfig | undefined,
): LogRecord[] {
  const origin = `test:${test.name}:${i}`;
  if (test.input !== undefined && simulatesFile(test)) {
    const lines = new SimulatedLines({ format: test.format, path: test.path, pod }, { fileConfig, kubernetes, origin });
    const text = test.input.endsWith('\n') ? test.input.slice(0, -1) : test.input;
    return [...text.split('\n').flatMap((l) => lines.push(l)), ...lines.end()];
  }
  // The schema takes exactly one of input: and record:.
  const record = test.record !== undefined ? toRecord(test.record, i, test.name) : lineRecord(test.input ?? '', {}, origin);
  if (!pod) return [record];
  const r = podRecord(pod, record, { honor: kubernetes?.honor_annotations ?? false });
  return r.kind === 'ready' ? [r.record] : [];
}

function toRecord(r: NonNullable<RuleTestConfig['record']>, i: number, name: string): LogRecord {
  const time =
    r.time === undefined
      ? 0n
      : typeof r.time === 'number'
        ? BigInt(Math.round(r.time)) * 1_000_000n
        : BigInt(Date.parse(r.time)) * 1_000_000n;
  const record: LogRecord = {
    timeUnixNano: time,
    observedTimeUnixNano: nowUnixNano(),
    severityNumber: r.severity_number ?? (r.severity_text ? (severityNumberOf(r.severity_text) ?? 0) : 0),
    severityText: r.severity_text ?? '',
    body: (r.body ?? '') as AnyValue,
    attributes: (r.attributes ?? {}) as Record<string, AnyValue>,
    resource: (r.resource ?? {}) as Record<string, AnyValue>,
    origin: `test:${name}:${i}`,
  };
  if (r.fields) record.fields = r.fields as Record<string, AnyValue>;
  if (r.trace_id) record.traceId = r.trace_id;
  if (r.span_id) record.spanId = r.span_id;
  return record;
}

export function compareEvents(expected: Record<string, unknown>[], actual: Event[]): string[] {
  const diff: string[] = [];
  if (expected.length !== actual.length) {
    diff.push(`expected ${expected.length} event(s), got ${actual.length}`);
    for (const [i, e] of actual.slice(expected.length).entries())
      diff.push(`  unexpected events[${expected.length + i}]: ${e.name} "${e.content}"`);
  }
  expected.forEach((exp, i) => {
    const got = actual[i];
    if (!got) return;
    compareSubset(exp, got, `events[${i}]`, diff);
  });
  return diff;
}

function compareSubset(exp: Record<string, unknown>, got: object, path: string, diff: string[]): void {
  for (const [k, want] of Object.entries(exp)) {
    const have: unknown = Reflect.get(got, k);
    const p = `${path}.${k}`;
    if (want !== null && typeof want === 'object' && !Array.isArray(want) && have !== null && typeof have === 'object') {
      compareSubset(want as Record<string, unknown>, have, p, diff);
    } else if (!isDeepStrictEqual(want, have) && !(typeof have === 'number' && String(have) === String(want))) {
      diff.push(
        `${p}`,
        `    expected: ${JSON.stringify(want)}`,
        `    actual:   ${have === undefined ? '(missing)' : JSON.stringify(have)}`,
      );
    }
  }
}
