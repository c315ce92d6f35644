import { describe, expect, it } from 'vitest';
import { AOM_MAX_TIMEOUT_MS, aomEventProblem } from '../../../src/sinks/huawei-aom/limits.ts';

/** Each rule of limits.ts: a valid EventModel, then one change that breaks one rule. */
const metadata = {
  event_name: 'test',
  event_severity: 'Major',
  event_type: 'alarm',
  resource_provider: 'ecs',
  resource_type: 'vm',
  resource_id: 'ecs123',
};
const report = { starts_at: 1_700_000_000_000, timeout: 60_000, metadata, annotations: { message: 'details' }, attach_rule: {}, id: 'a1' };
const clear = { ends_at: 1_700_000_060_000, metadata, id: 'a1' };

const cases: [name: string, event: unknown, clear: boolean, field: string | undefined][] = [
  ['a report as in the seed', report, false, undefined],
  ['a clear with id and ends_at', clear, true, undefined],
  ['a report without id (AOM makes one up)', { ...report, id: undefined }, false, undefined],
  ['not an object', [report], false, ''],
  ['no metadata', { ...report, metadata: undefined }, false, 'metadata'],
  ...Object.keys(metadata).map((k): [string, unknown, boolean, string] => [
    `no metadata.${k}`,
    { ...report, metadata: { ...metadata, [k]: undefined } },
    false,
    `metadata.${k}`,
  ]),
  ['an empty metadata value', { ...report, metadata: { ...metadata, resource_id: '' } }, false, 'metadata.resource_id'],
  [
    'a metadata value of 2049 characters',
    { ...report, metadata: { ...metadata, resource_id: 'x'.repeat(2049) } },
    false,
    'metadata.resource_id',
  ],
  ['a metadata value of 2048 characters', { ...report, metadata: { ...metadata, resource_id: 'x'.repeat(2048) } }, false, undefined],
  ['a metadata value that is a number', { ...report, metadata: { ...metadata, extra: 3 } }, false, 'metadata.extra'],
  ['severity Warning', { ...report, metadata: { ...metadata, event_severity: 'Warning' } }, false, 'metadata.event_severity'],
  ['severity in lower case', { ...report, metadata: { ...metadata, event_severity: 'major' } }, false, 'metadata.event_severity'],
  ['event_type incident', { ...report, metadata: { ...metadata, event_type: 'incident' } }, false, 'metadata.event_type'],
  ['timeout of 15 days', { ...report, timeout: AOM_MAX_TIMEOUT_MS }, false, undefined],
  ['timeout over 15 days', { ...report, timeout: AOM_MAX_TIMEOUT_MS + 1 }, false, 'timeout'],
  ['timeout as text', { ...report, timeout: '60000' }, false, 'timeout'],
  ['negative starts_at', { ...report, starts_at: -1 }, false, 'starts_at'],
  ['starts_at in seconds with a fraction', { ...report, starts_at: 1.5 }, false, 'starts_at'],
  ['a report without starts_at', { ...report, starts_at: undefined }, false, 'starts_at'],
  ['a clear without ends_at', { ...clear, ends_at: undefined }, true, 'ends_at'],
  ['a clear without id', { ...clear, id: undefined }, true, 'id'],
  ['an empty id', { ...report, id: '' }, false, 'id'],
  ['a numeric id', { ...report, id: 7 }, false, 'id'],
  ['annotations as a list', { ...report, annotations: ['x'] }, false, 'annotations'],
  ['attach_rule as text', { ...report, attach_rule: 'x' }, false, 'attach_rule'],
];

describe('AOM EventModel rules', () => {
  it.each(cases)('%s', (_name, event, isClear, field) => {
    const p = aomEventProblem(JSON.parse(JSON.stringify(event)), isClear);
    expect(p?.field).toBe(field);
    if (p) expect(p.message).not.toBe('');
  });
});
