import { describe, expect, it } from 'vitest';
import { isTemplated, parseOverrides } from '../../../src/sinks/override-values.ts';
import { aomOverrides } from '../../../src/sinks/huawei-aom/overrides.ts';
import { cesOverrides } from '../../../src/sinks/huawei-ces/overrides.ts';

describe('override values', () => {
  it('converts rendered text to the wire type', () => {
    const r = parseOverrides('huawei_aom', aomOverrides, { timeout: '60000', id: 42, annotations: { retries: 3, ok: true } });
    expect(r).toEqual({ ok: true, value: { timeout: 60000, id: '42', annotations: { retries: '3', ok: 'true' } } });
  });

  it('takes a time as epoch ms, epoch seconds or ISO-8601', () => {
    for (const [input, ms] of [
      ['1764669600000', 1764669600000],
      [1764669600, 1764669600000],
      ['2025-12-02T10:00:00Z', Date.parse('2025-12-02T10:00:00Z')],
    ] as const) {
      const r = parseOverrides('huawei_ces', cesOverrides, { time: input });
      expect(r.ok && r.value.time).toBe(ms);
    }
  });

  it('names every wrong field in one message', () => {
    const r = parseOverrides('huawei_aom', aomOverrides, { timeout: 'soon', event_type: 'incident' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain('huawei_aom.timeout');
      expect(r.message).toContain('huawei_aom.event_type');
    }
  });

  it('a rendered time that is not a time is refused', () => {
    const r = parseOverrides('huawei_ces', cesOverrides, { time: 'yesterday' });
    expect(r.ok).toBe(false);
  });

  it('recognises templates anywhere in a value', () => {
    expect(isTemplated('{{body}}')).toBe(true);
    expect(isTemplated({ a: ['x', { b: 'n={{n}}' }] })).toBe(true);
    expect(isTemplated({ a: ['x', 1, null] })).toBe(false);
  });
});
