import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/agent/load-config.ts';

describe('validate: a rule routed to aws_eventbridge', () => {
  it('reports a misspelled aws: key, wrong values and a reserved source, each at file:line:col', () => {
    const loaded = loadConfigText(
      `sources: { in: { type: stdin } }
sinks:
  eb: { type: aws_eventbridge, region: us-east-1 }
rules:
  - name: a
    when: { body: 'x' }
    event:
      name: E
      source: aws.ec2
      aws: { detail_typo: x, event_bus: "my bus", trace_header: "${'t'.repeat(501)}" }
    to: [eb]
`,
      'rules.yaml',
    );
    expect(loaded.ok).toBe(false);
    const errors = loaded.ok ? [] : loaded.errors;
    expect(errors, errors.join('\n')).toHaveLength(4);
    expect(errors[0]).toMatch(/^rules\.yaml:9:15: .*source "aws\.ec2".*NotAuthorizedForSourceException/);
    expect(errors[1]).toMatch(/^rules\.yaml:10:14: .*unknown key "detail_typo" in aws/);
    expect(errors[2]).toMatch(/^rules\.yaml:10:41: .*aws\.event_bus: expected an event bus name/);
    expect(errors[3]).toMatch(/^rules\.yaml:10:65: .*aws\.trace_header: Too big/);
  });

  it('accepts a bus ARN and templated values (checked when they render)', () => {
    const loaded = loadConfigText(
      `sources: { in: { type: stdin } }
sinks:
  eb: { type: aws_eventbridge, region: us-east-1, event_bus: "arn:aws:events:us-east-1:123456789012:event-bus/orders" }
rules:
  - name: a
    when: { body: '(?<t>\\w+)' }
    event: { name: E, source: shop, aws: { trace_header: "{{t}}", detail_type: "{{t}}" } }
    to: [eb]
`,
      'rules.yaml',
    );
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);
  });
});
