import { describe, expect, it } from 'vitest';
import { SigningClock } from '../../../src/sinks/signing-clock.ts';

describe('SigningClock', () => {
  it('signs with the local clock until a provider says otherwise', () => {
    const c = new SigningClock();
    expect(c.offset).toBe(0);
    expect(Math.abs(c.now() - Date.now())).toBeLessThan(1000);
  });

  it("learns the provider's time from a Date header: 20 minutes ahead", () => {
    const c = new SigningClock();
    const local = Date.parse('2026-12-02T10:00:00Z');
    expect(c.correctFrom('Wed, 02 Dec 2026 10:20:00 GMT', local)).toBe(true);
    expect(c.offset).toBe(20 * 60_000);
  });

  it('keeps its offset on a missing or unreadable header', () => {
    const c = new SigningClock();
    c.correctFrom('Wed, 02 Dec 2026 09:40:00 GMT', Date.parse('2026-12-02T10:00:00Z'));
    expect(c.correctFrom(null)).toBe(false);
    expect(c.correctFrom('yesterday')).toBe(false);
    expect(c.offset).toBe(-20 * 60_000);
  });
});
