import { describe, expect, it } from 'vitest';
import { buildEntry, xrayTraceHeader } from '../../../src/sinks/aws-eventbridge/request-builder.ts';
import { checkEventBridgeStatic } from '../../../src/sinks/aws-eventbridge/config.ts';
import { event } from '../../delivery/helpers.ts';

const opts = { defaultBus: 'orders', maxRequestBytes: 1024 * 1024 };

function built(overrides: Parameters<typeof event>[0] = {}, o = opts) {
  const b = buildEntry(event(overrides), o);
  if (!b.ok) throw new Error(`${b.problem.code}: ${b.problem.message}`);
  return b;
}

describe('PutEvents request builder', () => {
  it('maps the neutral event: Source, DetailType, Detail object, Time, default bus', () => {
    const b = built({ name: 'OrderFailed', source: 'shop.orders', time: 1_700_000_000_123, content: 'order 1 failed', group: 'g1' });
    expect(b.entry).toMatchObject({ Source: 'shop.orders', DetailType: 'OrderFailed', EventBusName: 'orders' });
    expect(b.entry.Time).toEqual(new Date(1_700_000_000_123));
    expect(JSON.parse(b.entry.Detail!)).toMatchObject({ content: 'order 1 failed', severity: 'Major', rule: 'r', group: 'g1' });
    expect(b.size).toBe(14 + 'shop.orders'.length + 'OrderFailed'.length + Buffer.byteLength(b.entry.Detail!));
  });

  it('puts an ARN resource id into Resources and leaves other ids in Detail only', () => {
    expect(built({ resource: { id: 'arn:aws:ecs:us-east-1:1:task/x' } }).entry.Resources).toEqual(['arn:aws:ecs:us-east-1:1:task/x']);
    expect(built({ resource: { id: 'order-1' } }).entry.Resources).toBeUndefined();
  });

  it('turns a W3C trace context into an X-Ray TraceHeader', () => {
    const b = built({ traceId: '5759e988bd862e3fe1be46a994272793', spanId: '53995c3f42cd8ad8' });
    expect(b.entry.TraceHeader).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    expect(xrayTraceHeader('not-hex', undefined)).toBeUndefined();
  });

  it('applies the aws: override block, typed (numbers as resource text, extra detail keys)', () => {
    const b = built({
      overrides: {
        aws: {
          source: 'shop.billing',
          detail_type: 'Billing',
          resources: ['arn:aws:s3:::b', 42],
          event_bus: 'arn:aws:events:eu-west-1:123456789012:event-bus/audit',
          trace_header: 'Root=1-abc',
          detail: { tenant: 't1' },
        },
      },
    });
    expect(b.entry).toMatchObject({
      Source: 'shop.billing',
      DetailType: 'Billing',
      Resources: ['arn:aws:s3:::b', '42'],
      EventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/audit',
      TraceHeader: 'Root=1-abc',
    });
    expect(JSON.parse(b.entry.Detail!).tenant).toBe('t1');
  });

  it('cuts an event name longer than 128 characters for DetailType and keeps it whole in Detail', () => {
    const name = 'N'.repeat(200);
    const b = built({ name });
    expect(b.entry.DetailType).toBe('N'.repeat(128));
    expect(JSON.parse(b.entry.Detail!).original_detail_type).toBe(name);
  });

  it.each([
    ['an unknown override key', { aws: { detail_typo: 'x' } }, 'InvalidArgument', /aws: Unrecognized key.*detail_typo/],
    ['a rendered trace header of 501 characters', { aws: { trace_header: 't'.repeat(501) } }, 'InvalidArgument', /aws\.trace_header/],
    ['a rendered detail_type of 129 characters', { aws: { detail_type: 'd'.repeat(129) } }, 'InvalidArgument', /aws\.detail_type/],
    ['an empty rendered detail_type', { aws: { detail_type: '' } }, 'InvalidArgument', /aws\.detail_type/],
    [
      'a rendered event bus that is no name or ARN',
      { aws: { event_bus: 'my bus' } },
      'InvalidArgument',
      /aws\.event_bus: expected an event bus name/,
    ],
    ['a resource of 2049 characters', { aws: { resources: ['r'.repeat(2049)] } }, 'InvalidArgument', /aws\.resources\.0/],
    ['an aws.* source', { aws: { source: 'aws.s3' } }, 'NotAuthorizedForSourceException', /aws\.s3/],
  ])('refuses %s', (_name, overrides, code, message) => {
    const b = buildEntry(event({ overrides }), opts);
    expect(b.ok).toBe(false);
    if (!b.ok) {
      expect(b.problem.code).toBe(code);
      expect(b.problem.message).toMatch(message);
    }
  });

  it('refuses an event larger than the request limit on its own', () => {
    const b = buildEntry(event({ content: 'x'.repeat(300 * 1024) }), { defaultBus: undefined, maxRequestBytes: 256 * 1024 });
    expect(b.ok ? undefined : b.problem.code).toBe('ValidationException');
    expect(buildEntry(event({ content: 'x'.repeat(300 * 1024) }), opts).ok).toBe(true);
  });
});

describe('checkStatic (validate)', () => {
  it.each([
    [{ name: 'E', source: 'shop.orders', overrides: {} }, []],
    [{ name: 'E', source: 'log2events', overrides: {} }, []],
    [{ name: 'E', source: 'aws.ec2', overrides: {} }, [['source']]],
    [{ name: 'E', source: 'shop', overrides: { source: 'aws.s3' } }, [['aws', 'source']]],
    [{ name: 'E', source: 'aws.ec2', overrides: { source: 'shop.x' } }, []],
    [{ name: 'E', source: undefined, overrides: {} }, []],
  ])('%j → problems at %j', (fields, paths) => {
    expect(checkEventBridgeStatic(fields).map((p) => p.path)).toEqual(paths);
  });
});
