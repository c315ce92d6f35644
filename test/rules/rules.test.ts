import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/agent/load-config.ts';
import { RuleRunner } from '../../src/rules/rule-runner.ts';
import { lineRecord } from '../../src/sources/line-record.ts';
import type { LogRecord } from '../../src/model/log-record.ts';
import { requiredLiteral } from '../../src/core/regex.ts';
import { Throttle } from '../../src/rules/throttle.ts';

function rules(yaml: string): RuleRunner {
  const r = loadConfigText(
    `sources: { app: { type: stdin }, other: { type: stdin } }\nsinks: { out: { type: stdout } }\n${yaml}`,
    'r.yaml',
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return new RuleRunner(r.config.compiled);
}

const line = (text: string, origin = `o:${text}`) => lineRecord(text, {}, origin);

function record(partial: Partial<LogRecord>): LogRecord {
  return {
    timeUnixNano: 1_700_000_000_000_000_000n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: '',
    attributes: {},
    resource: {},
    ...partial,
  };
}

describe('rules: when', () => {
  const r = rules(`rules:
  - name: payment
    when: { severity: ">= ERROR", body: 'payment failed for order (?<order_id>\\d+)' }
    event: { name: PaymentFailed, source: shop.payments, content: "order {{order_id}} on {{resource.k8s.pod.name | default: 'unknown'}}", resource: { id: "{{order_id}}" } }
    to: [out]
  - name: slow
    when:
      all:
        - contains: [slow, query]
        - attributes: { db.system: { in: [postgresql, mysql] } }
        - not: { fields: { user: internal } }
    event: { name: SlowQuery, content: "{{body | upper}}" }
    to: [out]
  - name: only-other
    from: [other]
    when: { any: [{ contains: AAA }, { body: 'BBB(?<n>\\d)' }] }
    event: { name: Other, content: "n={{n}}" }
    to: [out]
`);

  it('matches body regex with named captures and a severity floor, and fills templates', () => {
    const [e] = r.process(line('2024-01-01 ERROR payment failed for order 42'), 'app');
    expect(e).toMatchObject({
      rule: 'payment',
      name: 'PaymentFailed',
      source: 'shop.payments',
      content: 'order 42 on unknown',
      resource: { id: '42' },
      severity: 'Major',
      state: 'incident',
      action: 'raise',
      key: 'PaymentFailed|42',
      to: ['out'],
    });
    expect(r.process(line('2024-01-01 WARN payment failed for order 42'), 'app')).toEqual([]);
  });

  it('reads resource attributes with dotted keys in templates', () => {
    const [e] = r.process(
      record({ severityNumber: 17, body: 'payment failed for order 7', resource: { 'k8s.pod.name': 'shop-1' } }),
      'app',
    );
    expect(e?.content).toBe('order 7 on shop-1');
  });

  it('combines all / any / not with attribute and field matchers', () => {
    const rec = (attrs: Record<string, string>, fields: Record<string, string> = {}) =>
      record({ body: 'slow query took 3s', attributes: attrs, fields });
    expect(r.process(rec({ 'db.system': 'mysql' }), 'app')[0]?.content).toBe('SLOW QUERY TOOK 3S');
    expect(r.process(rec({ 'db.system': 'redis' }), 'app')).toEqual([]);
    expect(r.process(rec({ 'db.system': 'mysql' }, { user: 'internal' }), 'app')).toEqual([]);
  });

  it('applies from: to restrict a rule to some sources', () => {
    expect(r.process(line('x BBB7'), 'app')).toEqual([]);
    expect(r.process(line('x BBB7'), 'other')[0]?.content).toBe('n=7');
    expect(r.process(line('x AAA'), 'other')[0]?.content).toBe('n=');
  });

  it('derives a stable event id from the record origin and the rule', () => {
    const a = r.process(line('ERROR payment failed for order 1', 'file:abc:100'), 'app')[0]!;
    const b = r.process(line('ERROR payment failed for order 1', 'file:abc:100'), 'app')[0]!;
    const c = r.process(line('ERROR payment failed for order 1', 'file:abc:200'), 'app')[0]!;
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
  });

  it('tells a tailer which literals a line must contain', () => {
    expect(r.literalsFor('app')).toEqual(['payment failed for order ', 'query']);
    expect(r.literalsFor('other')).toEqual(['payment failed for order ', 'query', 'AAA', 'BBB']);
    const noLiteral = rules(`rules:\n  - { name: sev, when: { severity: ">= ERROR" }, event: { name: E }, to: [out] }\n`);
    expect(noLiteral.literalsFor('app')).toBeNull();
  });
});

describe('rules: first match wins, continue, drop', () => {
  const r = rules(`rules:
  - { name: noise, when: { contains: healthcheck }, drop: true }
  - { name: audit, when: { contains: ERROR }, event: { name: Audit }, to: [out], continue: true }
  - { name: error, when: { contains: ERROR }, event: { name: Error }, to: [out] }
  - { name: never, when: { contains: ERROR }, event: { name: Never }, to: [out] }
`);
  it('drops, continues and stops as configured', () => {
    expect(r.process(line('ERROR healthcheck failed'), 'app')).toEqual([]);
    expect(r.process(line('ERROR disk'), 'app').map((e) => e.name)).toEqual(['Audit', 'Error']);
  });
});

describe('rules: throttle', () => {
  it('turns 10,000 identical matches within the window into one event', () => {
    const r = rules(`rules:
  - name: storm
    when: { body: 'disk (?<disk>\\w+) full' }
    event: { name: DiskFull, resource: { id: "{{disk}}" } }
    throttle: { key: "{{disk}}", window: 1h }
    to: [out]
`);
    const events = [];
    for (let i = 0; i < 10_000; i++) events.push(...r.process(line(`disk sda full`, `o${i}`), 'app'));
    expect(events).toHaveLength(1);
    expect(events[0]!.attributes.suppressed_count).toBeUndefined();
    expect(r.stats.throttled.get('storm')).toBe(9_999);
    // another key has its own window
    expect(r.process(line('disk sdb full'), 'app')).toHaveLength(1);
  });

  it('reports the suppressed count on the first event of the next window', () => {
    let now = 1_000;
    const t = new Throttle(60_000, 2, () => now);
    expect([t.check('k'), t.check('k'), t.check('k'), t.check('k')].map((d) => d.pass)).toEqual([true, true, false, false]);
    now += 60_000;
    expect(t.check('k')).toEqual({ pass: true, suppressed: 2 });
    expect(t.check('k')).toEqual({ pass: true, suppressed: 0 });
    expect(t.suppressedTotal).toBe(2);
  });
});

describe('rules: config errors', () => {
  it('rejects a template that references an unknown capture at load', () => {
    const r = loadConfigText(
      `sinks: { out: { type: stdout } }\nrules:\n  - { name: a, when: { body: '(?<x>\\d+)' }, event: { name: "E{{y}}" }, to: [out] }\n`,
      'r.yaml',
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatch(
      /^r\.yaml:3:\d+: rules\[0\]\.event\.name: template "\{\{y\}\}": unknown reference "y".*captures: x/,
    );
  });

  it('rejects enum values that no provider knows', () => {
    const r = loadConfigText(
      `sinks: { out: { type: stdout } }\nrules:\n  - { name: a, event: { name: E, severity: Huge }, to: [out] }\n`,
      'r.yaml',
    );
    expect(!r.ok && r.errors[0]).toMatch(/rules\[0\]\.event\.severity: "Huge" is not one of Critical, Major, Minor, Info/);
  });
});

describe('required literal extraction', () => {
  it.each([
    ['payment failed for order (?<id>\\d+)', 'payment failed for order '],
    ['^\\[ERROR\\] (.*)', '[ERROR] '],
    ['timeouts?', 'timeout'],
    ['a|b', undefined],
    ['(?:x|y)abc', 'abc'],
    ['colou?r is bright', 'r is bright'],
  ])('%s → %s', (src, lit) => {
    expect(requiredLiteral(new RegExp(src))).toBe(lit);
  });
  it('gives no literal for case-insensitive patterns', () => {
    expect(requiredLiteral(/error/i)).toBeUndefined();
  });
});

describe('rules: regexes on hostile lines', () => {
  it('counts a match on a long line that takes longer than the budget, and keeps its result', () => {
    const r = rules(`rules:
  - name: words
    when: { body: '^(\\w+\\s?)+$' }
    event: { name: Words }
    to: [out]
`);
    // Millions of characters: the linear-time engine takes well over 50 ms on any machine.
    const long = `${Array(2_000_000).fill('ab').join(' ')}!`;
    expect(r.process(line(long), 'app')).toEqual([]);
    expect(r.stats.slowRegex.get('words')).toBe(1);
    expect(r.process(line('ab ab ab'), 'app')).toHaveLength(1);
    expect(r.stats.slowRegex.get('words')).toBe(1);
  });
});
