import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/agent/load-config.ts';
import type { Event } from '../../../src/model/event.ts';
import { checkCesStatic } from '../../../src/sinks/huawei-ces/config.ts';
import { CesTimes, clampTime } from '../../../src/sinks/huawei-ces/identity.ts';
import { entryProblem, inTimeWindow, timeProblem } from '../../../src/sinks/huawei-ces/limits.ts';
import { buildCesEntry, cesIdentity } from '../../../src/sinks/huawei-ces/request-builder.ts';
import type { CesEntry } from '../../../src/sinks/huawei-ces/wire.ts';
import { event } from '../../delivery/helpers.ts';

/** Cloud Eye's rules (limits.ts), the request builder's fixes and the identity times, in-process. */

const good = (): CesEntry => ({
  event_name: 'systemInvaded',
  event_source: 'financial.System',
  time: 1_700_000_000_000,
  detail: {
    content: 'c',
    group_id: 'rg15221211517051YWWkEnVd',
    resource_id: 'a-b_c:1',
    resource_name: 'ecs@001.数据库',
    event_user: 'ops/alice smith',
    event_state: 'normal',
    event_level: 'Major',
    event_type: 'EVENT.CUSTOM',
    sub_event_type: 'SUB_EVENT.CUSTOM',
    dimensions: [{ name: 'instance_id', value: 'i-1' }],
  },
});
const withDetail = (d: Record<string, unknown>) => ({ ...good(), detail: { ...good().detail, ...d } });

describe('entryProblem: every documented field rule (seed 001, SDK)', () => {
  it('accepts a valid entry, with @ and CJK in resource_name and / in event_user', () => {
    expect(entryProblem(good())).toBeUndefined();
  });

  const cases: Array<[string, unknown, string]> = [
    ['event_name starting with a digit', { ...good(), event_name: '9lives' }, 'event_name'],
    ['event_name of 65 characters', { ...good(), event_name: `a${'b'.repeat(64)}` }, 'event_name'],
    ['event_name with a dash', { ...good(), event_name: 'a-b' }, 'event_name'],
    ['event_source without a dot', { ...good(), event_source: 'financial' }, 'event_source'],
    ['event_source of 2 characters', { ...good(), event_source: 'a.' }, 'event_source'],
    ['event_source of 33 characters', { ...good(), event_source: `a.${'b'.repeat(31)}` }, 'event_source'],
    ['the default source "log2events"', { ...good(), event_source: 'log2events' }, 'event_source'],
    ['a time that is text', { ...good(), time: '1700000000000' }, 'time'],
    ['no detail', { ...good(), detail: undefined }, 'detail'],
    ['content of 4097', withDetail({ content: 'x'.repeat(4097) }), 'detail.content'],
    ['group_id of 23', withDetail({ group_id: 'rg1522121151705YWWkEnVd' }), 'detail.group_id'],
    ['resource_id with /', withDetail({ resource_id: 'a/b' }), 'detail.resource_id'],
    ['resource_id of 129', withDetail({ resource_id: 'a'.repeat(129) }), 'detail.resource_id'],
    ['resource_name with a space', withDetail({ resource_name: 'a b' }), 'detail.resource_name'],
    ['event_user with #', withDetail({ event_user: 'a#b' }), 'detail.event_user'],
    ['event_user of 65', withDetail({ event_user: 'u'.repeat(65) }), 'detail.event_user'],
    ['event_state "fine"', withDetail({ event_state: 'fine' }), 'detail.event_state'],
    ['event_level "major"', withDetail({ event_level: 'major' }), 'detail.event_level'],
    ['event_type EVENT.SYS', withDetail({ event_type: 'EVENT.SYS' }), 'detail.event_type'],
    ['sub_event_type SUB_EVENT.X', withDetail({ sub_event_type: 'SUB_EVENT.X' }), 'detail.sub_event_type'],
    ['five dimensions', withDetail({ dimensions: [1, 2, 3, 4, 5].map((i) => ({ name: `d${i}`, value: 'v' })) }), 'detail.dimensions'],
    ['dimension k8s.node', withDetail({ dimensions: [{ name: 'k8s.node', value: 'n' }] }), 'detail.dimensions[0].name'],
    ['an empty dimension value', withDetail({ dimensions: [{ name: 'a', value: '' }] }), 'detail.dimensions[0].value'],
    ['a dimension value of 257', withDetail({ dimensions: [{ name: 'a', value: 'v'.repeat(257) }] }), 'detail.dimensions[0].value'],
  ];
  it.each(cases)('refuses %s, naming the field', (_what, entry, field) => {
    expect(entryProblem(entry)?.field).toBe(field);
    expect(entryProblem(entry)?.message).toContain(field.replace(/\[\d\].*/, ''));
  });

  it('checks the time window with a margin inside [now - 1h, now + 10min]', () => {
    const now = 1_800_000_000_000;
    expect(inTimeWindow(now - 3_600_000 + 30_000, now, 30_000)).toBe(true);
    expect(inTimeWindow(now - 3_600_000 + 29_999, now, 30_000)).toBe(false);
    expect(inTimeWindow(now + 600_000 - 30_000, now, 30_000)).toBe(true);
    expect(inTimeWindow(now + 600_000 - 29_999, now, 30_000)).toBe(false);
    expect(timeProblem(now - 2 * 3_600_000, now, 10_000)?.message).toMatch(
      /120 min in the past: it must be within \[now - 1h \+ 10s, now \+ 10min - 10s\]/,
    );
  });
});

const ev = (o: Partial<Event> = {}) => event({ name: 'OrderFailed', source: 'shop.orders', ...o });

describe('buildCesEntry', () => {
  it('maps the neutral event to the wire fields', () => {
    const r = buildCesEntry(
      ev({ content: 'hello', resource: { id: 'i-1', name: 'web01' }, user: 'alice', dimensions: { service: 'shop' } }),
      { groupId: 'rg15221211517051YWWkEnVd' },
    );
    expect(r.ok && r.built.entry).toEqual({
      event_name: 'OrderFailed',
      event_source: 'shop.orders',
      time: 1_700_000_000_000,
      detail: {
        content: 'hello',
        resource_id: 'i-1',
        resource_name: 'web01',
        event_user: 'alice',
        group_id: 'rg15221211517051YWWkEnVd',
        event_state: 'incident',
        event_level: 'Major',
        event_type: 'EVENT.CUSTOM',
        sub_event_type: 'SUB_EVENT.CUSTOM',
        dimensions: [{ name: 'service', value: 'shop' }],
      },
    });
  });

  it('fixes resource id/name, user and dimension names losslessly: originals at the end of the content', () => {
    const r = buildCesEntry(
      ev({
        content: 'disk full',
        resource: { id: 'order/1', name: 'web 01' },
        user: 'a#b',
        dimensions: { 'k8s.node': 'n1', '1st': 'x', a: 'b', c: 'd', e: 'f' },
      }),
    );
    if (!r.ok) throw new Error(r.problem.message);
    const d = r.built.entry.detail;
    expect(d.resource_id).toBe('order_1');
    expect(d.resource_name).toBe('web_01');
    expect(d.event_user).toBe('a_b');
    expect(d.dimensions).toEqual([
      { name: 'k8s_node', value: 'n1' },
      { name: 'd_1st', value: 'x' },
      { name: 'a', value: 'b' },
      { name: 'c', value: 'd' },
    ]);
    expect(d.content).toBe(
      'disk full [log2events fixed: resource_id "order/1"; resource_name "web 01"; event_user "a#b"; dimension k8s_node "k8s.node"; dimension d_1st "1st"; dimension "e"="f" (more than 4)]',
    );
    expect(entryProblem(r.built.entry)).toBeUndefined();
  });

  it('keeps content within 4096 characters, notes included', () => {
    const r = buildCesEntry(ev({ content: 'x'.repeat(6000), resource: { id: 'a/b' } }));
    expect(r.ok && r.built.entry.detail.content?.length).toBe(4096);
    expect(r.ok && r.built.entry.detail.content).toMatch(/x… {1,2}\[log2events fixed: resource_id "a\/b"\]$/);
  });

  it('takes typed overrides, and a wrong rendered value is a problem naming the override', () => {
    const r = buildCesEntry(
      ev({
        overrides: {
          huawei_ces: { event_name: 'Other', time: '1700000001', event_level: 'Minor', detail: { sub_event_type: 'SUB_EVENT.OPS' } },
        },
      }),
    );
    expect(r.ok && r.built.entry).toMatchObject({
      event_name: 'Other',
      time: 1_700_000_001_000,
      detail: { event_level: 'Minor', sub_event_type: 'SUB_EVENT.OPS' },
    });
    const bad = buildCesEntry(ev({ overrides: { huawei_ces: { event_level: 'major', time: 'soon' } } }));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problem).toMatchObject({ code: 'ces.invalid_event' });
    expect(!bad.ok && bad.problem.message).toMatch(/huawei_ces\.time: "soon" is not a time.*huawei_ces\.event_level: .*"Major"/);
  });

  it('refuses a name or source Cloud Eye cannot take, naming the field', () => {
    const r = buildCesEntry(ev({ source: 'log2events' }));
    expect(!r.ok && r.problem.message).toMatch(/^event_source "log2events" is invalid/);
    const n = buildCesEntry(ev({ name: 'order-failed' }));
    expect(!n.ok && n.problem.message).toMatch(/^event_name "order-failed" is invalid/);
  });

  it('gives one identity to events that differ only in content and time', () => {
    const a = buildCesEntry(ev({ content: 'a' }));
    const b = buildCesEntry(ev({ content: 'b', time: 5 }));
    const c = buildCesEntry(ev({ content: 'a', user: 'bob' }));
    if (!a.ok || !b.ok || !c.ok) throw new Error('build failed');
    expect(a.built.identity).toBe(b.built.identity);
    expect(c.built.identity).not.toBe(a.built.identity);
    expect(cesIdentity(a.built.entry)).toBe(a.built.identity);
  });
});

describe('checkStatic', () => {
  it('makes a rule without source:, or a literal bad name, a validate error', () => {
    expect(checkCesStatic({ name: 'OrderFailed', source: 'log2events', overrides: {} })).toEqual([
      { path: ['source'], message: expect.stringMatching(/event_source "log2events" is invalid.*set source:/) },
    ]);
    expect(checkCesStatic({ name: 'order failed', source: 'shop.orders', overrides: {} })[0]?.path).toEqual(['name']);
    expect(
      checkCesStatic({ name: 'order failed', source: 'log2events', overrides: { event_name: 'Ok', event_source: 'shop.orders' } }),
    ).toEqual([]);
    expect(checkCesStatic({ name: undefined, source: undefined, overrides: {} })).toEqual([]);
    // A templated override decides per record: not a load error.
    expect(
      checkCesStatic({ name: 'order failed', source: 'log2events', overrides: {}, overridden: ['event_name', 'event_source'] }),
    ).toEqual([]);
  });
});

describe('CesTimes: a send time unique per Cloud Eye identity', () => {
  const now = 1_800_000_000_000;
  const fit = (own: number) => clampTime(own, now, 30_000);
  const usable = (t: number) => inTimeWindow(t, now, 30_000);

  it('gives 1,000 events of one identity and one millisecond 1,000 times, and each the same again on retry', () => {
    const times = new CesTimes();
    const first = Array.from({ length: 1000 }, (_, i) => times.timeFor(`e${i}`, 'id', now - 1000, fit, usable));
    expect(new Set(first).size).toBe(1000);
    expect(first[0]).toBe(now - 1000);
    const again = Array.from({ length: 1000 }, (_, i) => times.timeFor(`e${999 - i}`, 'id', now - 1000, fit, usable)).reverse();
    expect(again).toEqual(first);
    expect(times.timeFor('other', 'id2', now - 1000, fit, usable)).toBe(now - 1000);
  });

  it('clamps old events into the window, distinct, and keeps a clamped time for retries', () => {
    const times = new CesTimes();
    const clamped = Array.from({ length: 100 }, (_, i) => times.timeFor(`old${i}`, 'id', now - 2 * 3_600_000, fit, usable));
    expect(new Set(clamped).size).toBe(100);
    for (const t of clamped) expect(usable(t)).toBe(true);
    const later = now + 5_000;
    expect(
      times.timeFor(
        'old7',
        'id',
        now - 2 * 3_600_000,
        (own) => clampTime(own, later, 30_000),
        (t) => inTimeWindow(t, later, 30_000),
      ),
    ).toBe(clamped[7]);
  });

  it('fits an event anew once forgotten (refused for its time), and prunes times Cloud Eye can no longer take', () => {
    const times = new CesTimes();
    const t = times.timeFor('a', 'id', now - 2 * 3_600_000, fit, usable);
    times.forget('a');
    const later = now + 60_000;
    expect(times.timeFor('a', 'id', now - 2 * 3_600_000, (own) => clampTime(own, later, 30_000), usable)).toBe(t + 60_000);
    times.prune(now + 2 * 3_600_000);
    expect(times.size).toBe(0);
  });
});

describe('validate (config load) for a rule routed to huawei_ces', () => {
  const load = (event: string) =>
    loadConfigText(
      `sinks:\n  ces: { type: huawei_ces, region: cn-north-4, project_id: p, auth_token: t }\nrules:\n  - name: r\n    when: { body: 'x(?<v>.*)' }\n    event:\n${event}\n    to: [ces]\n`,
      'c.yaml',
    );
  const errors = (event: string) => {
    const r = load(event);
    return r.ok ? [] : r.errors;
  };

  it('reports a missing source, a misspelled override key and a wrong override value at file:line:col', () => {
    expect(errors('      name: OrderFailed')).toEqual([
      expect.stringMatching(/^c\.yaml:\d+:\d+: .*event_source "log2events" is invalid.*routed to sink "ces"/),
    ]);
    expect(errors('      name: OrderFailed\n      source: shop.orders\n      huawei_ces: { event_levle: Major }')).toEqual([
      expect.stringMatching(/^c\.yaml:9:21: .*unknown key "event_levle"/),
    ]);
    expect(errors('      name: OrderFailed\n      source: shop.orders\n      huawei_ces: { event_level: major, group_id: shop }')).toEqual([
      expect.stringMatching(/^c\.yaml:9:\d+: .*"Critical"/),
      expect.stringMatching(/^c\.yaml:9:\d+: .*resource group id/),
    ]);
  });

  it('accepts templated overrides, checked per record instead', () => {
    expect(errors('      name: order failed\n      huawei_ces: { event_name: "E{{v}}", event_source: "shop.{{v}}" }')).toEqual([]);
  });
});
