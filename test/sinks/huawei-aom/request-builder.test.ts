import { describe, expect, it } from 'vitest';
import type { Event } from '../../../src/model/event.ts';
import { AOM_DEFAULT_TIMEOUT_MS } from '../../../src/sinks/huawei-aom/limits.ts';
import { AOM_INVALID_EVENT, type AomBuild, alarmId, buildAomEntry } from '../../../src/sinks/huawei-aom/request-builder.ts';
import type { AomEvent } from '../../../src/sinks/huawei-aom/wire.ts';
import { event } from '../../delivery/helpers.ts';

const opts = { eventType: 'alarm' as const, resourceProvider: 'log2events', resourceType: 'service', timeoutMs: AOM_DEFAULT_TIMEOUT_MS };

function entry(e: Event): AomEvent {
  const b = buildAomEntry(e, opts);
  if (!b.ok) throw new Error(b.problem.message);
  return b.entry;
}

function problem(b: AomBuild): string {
  if (b.ok) throw new Error('expected a problem');
  expect(b.problem.code).toBe(AOM_INVALID_EVENT);
  return b.problem.message;
}

const aom = (block: Record<string, unknown>, more: Partial<Event> = {}) => event({ overrides: { huawei_aom: block }, ...more });

describe('AOM request builder', () => {
  it('maps a raise: metadata, annotations as strings, starts_at, the default timeout and the id of its key', () => {
    const e = event({
      name: 'QueueStalled',
      source: 'shop.queues',
      key: 'QueueStalled|billing',
      content: 'queue billing stalled',
      resource: { id: 'billing', type: 'queue', name: 'Billing' },
      attributes: { queue: 'billing' },
    });
    expect(entry(e)).toEqual({
      starts_at: e.time,
      timeout: AOM_DEFAULT_TIMEOUT_MS,
      metadata: {
        event_name: 'QueueStalled',
        event_severity: 'Major',
        event_type: 'alarm',
        resource_provider: 'log2events',
        resource_type: 'queue',
        resource_id: 'billing',
      },
      annotations: { message: 'queue billing stalled', source: 'shop.queues', queue: 'billing', resource_name: 'Billing' },
      id: alarmId('QueueStalled|billing'),
    });
  });

  it('a clear carries ends_at and the id of its raise (same key), no starts_at or timeout', () => {
    const raise = entry(event({ key: 'Disk|/dev/sda' }));
    const clear = entry(event({ key: 'Disk|/dev/sda', action: 'clear', time: 1_700_000_100_000 }));
    expect(clear.id).toBe(raise.id);
    expect(clear).toMatchObject({ ends_at: 1_700_000_100_000 });
    expect(clear.starts_at).toBeUndefined();
    expect(clear.timeout).toBeUndefined();
    expect(entry(event({ key: 'Disk|/dev/sdb' })).id).not.toBe(raise.id);
    expect(raise.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('the override id wins, on the raise and the clear', () => {
    expect(entry(aom({ id: 'order-42' })).id).toBe('order-42');
    expect(entry(aom({ id: 42 }, { action: 'clear' })).id).toBe('42');
  });

  it('takes typed overrides: timeout (ms, rendered digits or a duration), enums, resource fields, metadata and annotations', () => {
    expect(entry(aom({ timeout: 60000 })).timeout).toBe(60_000);
    expect(entry(aom({ timeout: '120000' })).timeout).toBe(120_000);
    expect(entry(aom({ timeout: '2h' })).timeout).toBe(7_200_000);
    const e = entry(
      aom({
        event_type: 'event',
        event_severity: 'Critical',
        resource_provider: 'shop',
        resource_type: 'db',
        resource_id: 'pg-1',
        metadata: { region: 'eu', event_severity: 'Info' },
        annotations: { retries: 3, ok: true },
        attach_rule: { k: 1 },
      }),
    );
    expect(e.metadata).toMatchObject({
      event_type: 'event',
      event_severity: 'Info',
      resource_provider: 'shop',
      resource_type: 'db',
      resource_id: 'pg-1',
      region: 'eu',
    });
    expect(e.annotations).toMatchObject({ retries: '3', ok: 'true' });
    expect(e.attach_rule).toEqual({ k: 1 });
  });

  it('a template that rendered empty leaves the neutral field', () => {
    const e = entry(aom({ resource_id: '', event_type: '', metadata: { resource_type: '' } }, { resource: { id: 'r1' } }));
    expect(e.metadata).toMatchObject({ resource_id: 'r1', event_type: 'alarm', resource_type: 'service' });
  });

  it.each([
    [{ timeout: 'soon' }, /huawei_aom\.timeout: invalid duration/],
    [{ timeout: '16d' }, /huawei_aom\.timeout: must be at most 15 days/],
    [{ timeout: 0 }, /huawei_aom\.timeout: must be positive/],
    [{ event_type: 'incident' }, /huawei_aom\.event_type/],
    [{ metadata: { event_type: 'incident' } }, /huawei_aom\.metadata\.event_type/],
    [{ event_severity: 'Warning' }, /huawei_aom\.event_severity/],
    [{ resource_id: 'x'.repeat(2049) }, /huawei_aom\.resource_id: must be at most 2048/],
    [{ metadata: { extra: 'x'.repeat(2049) } }, /huawei_aom\.metadata\.extra: must be at most 2048/],
  ])('refuses the override %j, naming the field', (block, message) => {
    expect(problem(buildAomEntry(aom(block), opts))).toMatch(message);
  });

  it('cuts a neutral field over 2048 characters and keeps it whole in annotations (lossless fix)', () => {
    const long = 'n'.repeat(3000);
    const e = entry(event({ resource: { id: long } }));
    expect(e.metadata.resource_id).toBe(long.slice(0, 2048));
    expect(e.annotations!.original_resource_id).toBe(long);
  });
});
