import { describe, expect, it } from 'vitest';
import { buildEventInfo, eventInfoSize, formBody } from '../../../src/sinks/alibaba-cms/request-builder.ts';
import { eventInfoParams } from '../../../src/sinks/alibaba-cms/wire.ts';
import type { Event } from '../../../src/model/event.ts';
import { event } from '../../delivery/helpers.ts';

const MAX = 500_000 - 2048;
const build = (overrides: Record<string, unknown> = {}, extra: Partial<Event> = {}) =>
  buildEventInfo(event({ overrides: { alibaba: overrides }, ...extra }), '0', MAX);

describe('event → EventInfo', () => {
  it('maps name, JSON content, epoch-ms time and the default group', () => {
    const b = build({}, { name: 'OrderFailed', content: 'order 1 failed', time: 1_700_000_000_123, attributes: { order: '1' } });
    if (!b.ok) throw new Error(b.problem.message);
    expect(b.info).toMatchObject({ EventName: 'OrderFailed', Time: '1700000000123', GroupId: '0' });
    expect(JSON.parse(b.info.Content)).toMatchObject({
      content: 'order 1 failed',
      severity: 'Major',
      state: 'incident',
      source: 'test.app',
      attributes: { order: '1' },
    });
    expect(b.size).toBe(eventInfoSize(b.info));
  });

  it("takes the event's group before the sink's group_id", () => {
    const b = build({}, { group: '42' });
    expect(b.ok && b.info.GroupId).toBe('42');
  });

  it.each([
    [{ event_name: 'Renamed' }, { EventName: 'Renamed' }],
    [{ group_id: 123456 }, { GroupId: '123456' }],
    [{ group_id: '777' }, { GroupId: '777' }],
    [{ time: '1552199984' }, { Time: '1552199984000' }],
    [{ time: '2017-10-13T09:09:23.456Z' }, { Time: String(Date.UTC(2017, 9, 13, 9, 9, 23, 456)) }],
    [{ content: 'plain text' }, { Content: 'plain text' }],
  ])('alibaba: %j → %j', (overrides, expected) => {
    const b = build(overrides);
    if (!b.ok) throw new Error(b.problem.message);
    expect(b.info).toMatchObject(expected);
  });

  it('a templated value that rendered empty is left out: the neutral field applies', () => {
    const b = build({ event_name: '', group_id: '', time: '' }, { name: 'OrderFailed', group: '42', time: 1_700_000_000_000 });
    if (!b.ok) throw new Error(b.problem.message);
    expect(b.info).toMatchObject({ EventName: 'OrderFailed', GroupId: '42', Time: '1700000000000' });
  });

  it('an empty content override keeps the JSON; detail keys are merged into it', () => {
    const b = build({ content: '', detail: { team: 'shop' } });
    if (!b.ok) throw new Error(b.problem.message);
    expect(JSON.parse(b.info.Content)).toMatchObject({ team: 'shop', severity: 'Major' });
  });

  it.each<[Record<string, unknown>, RegExp, Partial<Event>?]>([
    [{ group_id: 'shop' }, /alibaba\.group_id: not an application group id/],
    [{ time: 'yesterday' }, /alibaba\.time: "yesterday" is not a time/],
    [{ time: 1e17 }, /alibaba\.time: a time after year 9999/],
    [{}, /GroupId "x1" is not an application group id .* \(from the event's group/, { group: 'x1' }],
    [{}, /EventName is empty.*\(from the event's name\)/, { name: '' }],
    [{ content: 'x'.repeat(MAX) }, /the event takes \d+ bytes encoded; .* at most 500000 .*alibaba\.content/],
  ])('alibaba: %j is refused naming the field', (overrides, message, extra = {}) => {
    const b = build(overrides, extra);
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.problem).toMatchObject({ code: 'cms.invalid_event', message: expect.stringMatching(message) });
  });
});

describe('request parameters', () => {
  it('flattens EventInfo.N from 1 and encodes the form as the signature canonicalises it', () => {
    const infos = [
      { EventName: 'A', Content: 'x y*~', Time: '1', GroupId: '0' },
      { EventName: 'B', Content: 'ü', Time: '2', GroupId: '7' },
    ];
    const params = eventInfoParams(infos);
    expect(params).toEqual({
      'EventInfo.1.EventName': 'A',
      'EventInfo.1.Content': 'x y*~',
      'EventInfo.1.Time': '1',
      'EventInfo.1.GroupId': '0',
      'EventInfo.2.EventName': 'B',
      'EventInfo.2.Content': 'ü',
      'EventInfo.2.Time': '2',
      'EventInfo.2.GroupId': '7',
    });
    expect(formBody({ 'EventInfo.1.Content': 'x y*~' })).toBe('EventInfo.1.Content=x%20y%2A~');
    // The size counted per entry covers what the entry adds to the body, with N up to three digits.
    const body = formBody(params);
    expect(eventInfoSize(infos[0]!) + eventInfoSize(infos[1]!)).toBeGreaterThanOrEqual(body.length);
  });
});
