import { describe, expect, it } from 'vitest';
import { cmsEventInfoProblem, isCmsGroupId, parseCmsTime } from '../../../src/sinks/alibaba-cms/limits.ts';

/** PutCustomEvent's per-event rules (sources in src/sinks/alibaba-cms/limits.ts). */
describe('Time: yyyyMMddTHHmmss.SSSZ or epoch ms (API reference)', () => {
  it.each([
    ['20171013T170923.456+0800', Date.UTC(2017, 9, 13, 9, 9, 23, 456)],
    ['20171013T170923.456-0130', Date.UTC(2017, 9, 13, 18, 39, 23, 456)],
    ['20240229T000000.000+0000', Date.UTC(2024, 1, 29)],
    ['1552199984000', 1552199984000],
    ['0', 0],
  ])('%s is %d', (text, ms) => expect(parseCmsTime(text)).toBe(ms));

  it.each([
    ['2017-10-13 17:09:23', 'ISO-like text'],
    ['20171013T170923+0800', 'no milliseconds'],
    ['20171013T170923.456Z', 'Z is an offset, not a letter'],
    ['20171313T170923.456+0800', 'month 13'],
    ['20230229T000000.000+0000', '29 February of a common year'],
    ['20171013T250923.456+0800', 'hour 25'],
    ['20171013T170923.456+1500', 'offset beyond 14 h'],
    ['19691231T235959.999+0000', 'before 1970'],
    ['99999999999999999', 'more than 16 digits'],
    ['-1', 'negative'],
    ['', 'empty'],
  ])('%s is refused (%s)', (text) => expect(parseCmsTime(text)).toBeUndefined());
});

describe('GroupId: an application group id, 0 = none (API reference, int64 group ids in the metadata)', () => {
  it.each(['0', '123456', '9223372036854775807'])('%s is a group id', (g) => expect(isCmsGroupId(g)).toBe(true));
  it.each(['', 'abc', '12a', '-1', '1.5', '9223372036854775808', ' 1'])('%j is not', (g) => expect(isCmsGroupId(g)).toBe(false));
});

describe('one EventInfo', () => {
  const ok = { EventName: 'OrderFailed', Content: '{}', Time: '1552199984000', GroupId: '0' };
  it.each([
    [{}, undefined],
    [{ EventName: '' }, 'EventName'],
    [{ Content: '' }, 'Content'],
    [{ Time: 'yesterday' }, 'Time'],
    [{ GroupId: 'shop' }, 'GroupId'],
  ])('%j → %s', (change, field) => expect(cmsEventInfoProblem({ ...ok, ...change })?.field).toBe(field));

  it('Time and GroupId are optional on the wire', () => {
    expect(cmsEventInfoProblem({ EventName: 'a', Content: 'b' })).toBeUndefined();
  });

  it('an event larger than one request can carry names Content', () => {
    expect(cmsEventInfoProblem(ok, 100, 101)).toMatchObject({ field: 'Content', message: expect.stringMatching(/at most 500000/) });
    expect(cmsEventInfoProblem(ok, 100, 100)).toBeUndefined();
  });
});
