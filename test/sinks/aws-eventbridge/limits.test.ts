import { describe, expect, it } from 'vitest';
import {
  defaultMaxRequestBytes,
  entryProblem,
  entryRuleProblem,
  type EntryFields,
  isJsonObjectText,
  partitionOf,
  putEventsEntrySize,
  requestConstraintProblem,
} from '../../../src/sinks/aws-eventbridge/limits.ts';

const ok: EntryFields = { Time: 1_700_000_000, Source: 'shop.orders', DetailType: 'OrderFailed', Detail: '{"a":1}' };
const arn = 'arn:aws:events:us-east-1:123456789012:event-bus/orders';

describe('PutEvents limits', () => {
  it.each([
    ['us-east-1', 'aws', 1024 * 1024],
    ['eu-central-2', 'aws', 1024 * 1024],
    ['ap-southeast-7', 'aws', 1024 * 1024],
    ['cn-north-1', 'aws-cn', 256 * 1024],
    ['cn-northwest-1', 'aws-cn', 256 * 1024],
    ['us-gov-west-1', 'aws-us-gov', 256 * 1024],
    ['us-iso-east-1', 'aws-iso', 256 * 1024],
    ['us-isob-east-1', 'aws-iso', 256 * 1024],
    ['eu-isoe-west-1', 'aws-iso', 256 * 1024],
  ])('%s is in partition %s: default request limit %i', (region, partition, bytes) => {
    expect(partitionOf(region)).toBe(partition);
    expect(defaultMaxRequestBytes(region)).toBe(bytes);
  });

  it('sizes an entry by the entry-size rule: 14 for Time + UTF-8 bytes of Source, DetailType, Detail, Resources', () => {
    expect(putEventsEntrySize({ Source: 'a', DetailType: 'bb', Detail: '{}' })).toBe(5);
    expect(
      putEventsEntrySize({
        Time: new Date(),
        Source: 'a',
        DetailType: 'bb',
        Detail: '{}',
        Resources: ['r1', 'é'],
        EventBusName: 'x'.repeat(99),
        TraceHeader: 'y',
      }),
    ).toBe(14 + 5 + 2 + 2);
  });

  it.each([
    ['{}', true],
    ['{"a":[1]}', true],
    [' {"a":1} ', true],
    ['[1,2]', false],
    ['"text"', false],
    ['null', false],
    ['not json', false],
    ['', false],
  ])('Detail %j is a JSON object: %s', (text, expected) => {
    expect(isJsonObjectText(text)).toBe(expected);
  });
});

describe('PutEvents entry rules (table)', () => {
  const cases: [string, EntryFields, string | undefined, RegExp?][] = [
    ['a valid entry', ok, undefined],
    ['a bus name', { ...ok, EventBusName: 'orders.v2_blue-1' }, undefined],
    ['a bus ARN', { ...ok, EventBusName: arn }, undefined],
    ['a GovCloud bus ARN', { ...ok, EventBusName: 'arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/x' }, undefined],
    ['a 500-character TraceHeader', { ...ok, TraceHeader: 't'.repeat(500) }, undefined],
    ['a 2048-character resource', { ...ok, Resources: ['r'.repeat(2048)] }, undefined],
    ['a 128-character DetailType', { ...ok, DetailType: 'd'.repeat(128) }, undefined],
    ['no Source', { ...ok, Source: undefined }, 'InvalidArgument', /Source is a required argument/],
    ['an empty DetailType', { ...ok, DetailType: '' }, 'InvalidArgument', /DetailType is a required/],
    ['no Detail', { ...ok, Detail: undefined }, 'InvalidArgument', /Detail is a required/],
    ['a 129-character DetailType', { ...ok, DetailType: 'd'.repeat(129) }, 'InvalidArgument', /longer than 128/],
    ['an aws.* Source', { ...ok, Source: 'aws.ec2' }, 'NotAuthorizedForSourceException', /aws\. prefix/],
    ['a Detail that is a list', { ...ok, Detail: '[1]' }, 'MalformedDetail', /JSON object/],
    ['a Detail that is not JSON', { ...ok, Detail: '{oops' }, 'MalformedDetail'],
    ['a bus name with a space', { ...ok, EventBusName: 'my bus' }, 'ValidationException', /eventBusName.*regular expression/],
    ['a bus name with a slash', { ...ok, EventBusName: 'a/b' }, 'ValidationException', /eventBusName/],
    [
      'an ARN of another service',
      { ...ok, EventBusName: 'arn:aws:sqs:us-east-1:123456789012:queue' },
      'ValidationException',
      /eventBusName/,
    ],
    ['an empty bus name', { ...ok, EventBusName: '' }, 'ValidationException', /between 1 and 1600/],
    ['a 1601-character bus name', { ...ok, EventBusName: 'b'.repeat(1601) }, 'ValidationException', /between 1 and 1600/],
    ['a 501-character TraceHeader', { ...ok, TraceHeader: 't'.repeat(501) }, 'ValidationException', /traceHeader.*between 1 and 500/],
    ['an empty TraceHeader', { ...ok, TraceHeader: '' }, 'ValidationException', /traceHeader/],
    ['a 2049-character resource', { ...ok, Resources: ['ok', 'r'.repeat(2049)] }, 'ValidationException', /resources\.2\.member/],
    [
      'an entry larger than the request limit',
      { ...ok, Detail: JSON.stringify({ p: 'x'.repeat(5000) }) },
      'ValidationException',
      /over the limit.*at most 4096/,
    ],
  ];
  it.each(cases)('%s → %s', (_name, entry, code, message) => {
    const problem = entryProblem(entry, 4096);
    expect(problem?.code).toBe(code);
    if (message) expect(problem?.message).toMatch(message);
  });

  it('names the entry index in request-level constraint messages, as AWS does', () => {
    expect(requestConstraintProblem({ ...ok, TraceHeader: '' }, 3)?.message).toContain("'entries.4.member.traceHeader'");
  });

  it('can skip parsing Detail when it was built from an object', () => {
    expect(entryRuleProblem({ ...ok, Detail: '[1]' }, { detail: false })).toBeUndefined();
  });
});
