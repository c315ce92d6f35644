import { describe, expect, it } from 'vitest';
import {
  HOT_EVERY,
  HOT_MS,
  HotFiles,
  hotReadBeforeExamination,
  IDLE_CHECK_MAX_MS,
  nextCheckInterval,
  POLL_SLICE,
  POLLS_PER_RESCAN,
  PollSchedule,
  pollSlices,
  statConcurrency,
  type ScheduledFile,
} from '../../src/sources/file/poll-schedule.ts';

/** When the file source looks at what (no file system, no clock: every time is given). */

const POLL = 250;

interface Followed extends ScheduledFile {
  name: string;
}
const open = (name: string): Followed => ({ name, open: {} });
const closed = (name: string): Followed => ({ name });

describe("nextCheckInterval: how long until a followed file is stat'ed again", () => {
  it.each([
    // previous, changed, poll interval, next
    { previous: undefined, changed: false, poll: 250, next: 250, why: 'first stat: every poll' },
    { previous: 250, changed: true, poll: 250, next: 250, why: 'changed: every poll' },
    { previous: 1000, changed: true, poll: 250, next: 250, why: 'a change resets the backoff' },
    { previous: 250, changed: false, poll: 250, next: 500, why: 'idle: doubles' },
    { previous: 500, changed: false, poll: 250, next: 1000, why: 'doubles up to IDLE_CHECK_MAX_MS' },
    { previous: 1000, changed: false, poll: 250, next: IDLE_CHECK_MAX_MS, why: 'capped at IDLE_CHECK_MAX_MS' },
    { previous: 20, changed: false, poll: 20, next: 40, why: 'short poll: doubles' },
    { previous: 160, changed: false, poll: 20, next: 160, why: 'short poll: capped at 8 poll intervals' },
    { previous: 2000, changed: false, poll: 2000, next: 2000, why: 'a poll longer than the cap: never less often than every poll' },
  ])('$why ($previous → $next)', ({ previous, changed, poll, next }) => {
    expect(nextCheckInterval(previous, changed, poll)).toBe(next);
  });
});

describe('what a poll covers', () => {
  it.each([
    { count: 0, initial: false, slices: [] },
    { count: 10, initial: false, slices: [[0, 10, false]] },
    { count: POLL_SLICE, initial: false, slices: [[0, POLL_SLICE, false]] },
    {
      count: POLL_SLICE + 1,
      initial: false,
      slices: [
        [0, POLL_SLICE, true],
        [POLL_SLICE, POLL_SLICE + 1, false],
      ],
    },
    {
      count: 2 * POLL_SLICE + 5,
      initial: false,
      slices: [
        [0, POLL_SLICE, true],
        [POLL_SLICE, 2 * POLL_SLICE, true],
        [2 * POLL_SLICE, 2 * POLL_SLICE + 5, false],
      ],
    },
    {
      count: POLL_SLICE + 1,
      initial: true,
      slices: [
        [0, POLL_SLICE, false],
        [POLL_SLICE, POLL_SLICE + 1, false],
      ],
    },
  ])('$count paths (first poll: $initial): slices [start, end, hot files read after]', ({ count, initial, slices }) => {
    expect(pollSlices(count, initial).map((s) => [s.start, s.end, s.readHotAfter])).toEqual(slices);
  });

  it.each([
    { bound: 1024, concurrency: 32 },
    { bound: 64, concurrency: 16 },
    { bound: 4, concurrency: 1 },
    { bound: 1, concurrency: 1 },
  ])('stats in flight with $bound descriptors: $concurrency', ({ bound, concurrency }) => {
    expect(statConcurrency(bound)).toBe(concurrency);
  });

  it.each([
    { queued: HOT_EVERY * 3, read: true },
    { queued: HOT_EVERY + 1, read: false },
    { queued: 0, read: true },
  ])('with $queued paths to examine, hot files read first: $read', ({ queued, read }) => {
    expect(hotReadBeforeExamination(queued)).toBe(read);
  });

  it('covers the paths found, until a stat misses one; says when the glob walk found new ones', () => {
    const s = new PollSchedule<Followed>(POLL);
    expect(s.found(['/a', '/b'])).toBe(true);
    expect(s.found(['/a'])).toBe(false);
    s.appeared('/c');
    expect(s.all()).toEqual(['/a', '/b', '/c']);
    s.gone('/b');
    expect(s.covers('/b')).toBe(false);
    expect(s.all()).toEqual(['/a', '/c']);
  });
});

describe('PollSchedule: when a followed file is due for a stat', () => {
  /** A path followed and stat'ed at t=0, then stat'ed (unchanged) at each of `idleStats`. */
  function followed(idleStats: number[] = []) {
    const s = new PollSchedule<Followed>(POLL);
    const f = open('app');
    s.found(['/app.log']);
    s.checked('/app.log', 0, f, true);
    for (const t of idleStats) s.checked('/app.log', t, f, false);
    return { s, f };
  }

  it.each([
    // stats before, time asked, full poll, skipped
    { stats: [], at: POLL - 1, full: false, skipped: true, why: 'checked within a poll interval' },
    { stats: [], at: POLL, full: false, skipped: false, why: 'a poll interval later' },
    { stats: [], at: POLL - 1, full: true, skipped: false, why: 'a full poll (drain) stats every path' },
    { stats: [POLL], at: POLL + 2 * POLL - 1, full: false, skipped: true, why: 'idle once: twice the interval' },
    { stats: [POLL], at: POLL + 2 * POLL, full: false, skipped: false, why: 'idle once: due after twice the interval' },
    { stats: [250, 750, 1750], at: 1750 + IDLE_CHECK_MAX_MS - 1, full: false, skipped: true, why: 'idle long: capped backoff' },
    { stats: [250, 750, 1750], at: 1750 + IDLE_CHECK_MAX_MS, full: false, skipped: false, why: 'idle long: due after the cap' },
  ])('$why', ({ stats, at, full, skipped }) => {
    const { s, f } = followed(stats);
    expect(s.idleAt('/app.log', at, full)).toBe(skipped ? f : undefined);
  });

  it('a write (watch event) makes an idle path due at once and resets its backoff', () => {
    const { s, f } = followed([250, 750, 1750]);
    expect(s.idleAt('/app.log', 1800, false)).toBe(f);
    expect(s.written('/app.log')).toBe(true);
    expect(s.idleAt('/app.log', 1800, false)).toBeUndefined();
    s.checked('/app.log', 1800, f, false);
    expect(s.idleAt('/app.log', 1800 + POLL - 1, false)).toBe(f);
    expect(s.idleAt('/app.log', 1800 + POLL, false)).toBeUndefined();
  });

  it("a path followed by nothing, or by a file no longer open, is always stat'ed", () => {
    const s = new PollSchedule<Followed>(POLL);
    s.found(['/new.log', '/closed.log']);
    expect(s.idleAt('/new.log', 0, false)).toBeUndefined();
    const f = open('closed');
    s.checked('/closed.log', 0, f, false);
    s.checked('/closed.log', 1, closed('closed'), false);
    expect(s.idleAt('/closed.log', 2, false)).toBeUndefined();
  });

  it('a file attached by an examination is taken as followed there', () => {
    const s = new PollSchedule<Followed>(POLL);
    const f = open('app');
    s.found(['/app.log']);
    s.attached('/app.log', f);
    expect(s.idleAt('/app.log', 0, false)).toBeUndefined(); // not stat'ed yet: no interval to wait
    s.checked('/app.log', 0, f, false);
    expect(s.idleAt('/app.log', 1, false)).toBe(f);
  });

  it('a write to a path the poll does not cover is ignored', () => {
    const s = new PollSchedule<Followed>(POLL);
    s.beginPoll(1000, false, false);
    expect(s.written('/elsewhere.log')).toBe(false);
    s.changePassDue();
    expect(s.roundStart(1001)).toEqual({ kind: 'none' });
  });
});

describe('PollSchedule: what a round starts with', () => {
  /** A schedule whose last poll began at t=1000. */
  function polled() {
    const s = new PollSchedule<Followed>(POLL);
    s.found(['/a.log', '/b.log']);
    s.beginPoll(1000, false, false);
    return s;
  }

  it.each([
    { at: 1000 + POLL - 1, start: { kind: 'none' }, why: 'within the poll interval: nothing' },
    { at: 1000 + POLL, start: { kind: 'poll' }, why: 'the poll interval is up' },
  ])('$why', ({ at, start }) => {
    expect(polled().roundStart(at)).toEqual(start);
  });

  it('written paths are looked at once the throttle lets a pass go, each once', () => {
    const s = polled();
    s.written('/a.log');
    s.written('/b.log');
    s.written('/a.log');
    expect(s.roundStart(1001)).toEqual({ kind: 'none' }); // the throttle has not let a pass go yet
    s.changePassDue();
    expect(s.roundStart(1002)).toEqual({ kind: 'changed', paths: ['/a.log', '/b.log'] });
    expect(s.roundStart(1003)).toEqual({ kind: 'none' });
    s.changePassDue();
    expect(s.roundStart(1004)).toEqual({ kind: 'none' }); // nothing written since
  });

  it('a poll takes in the written paths (it stats them all)', () => {
    const s = polled();
    s.written('/a.log');
    s.changePassDue();
    expect(s.roundStart(1000 + POLL)).toEqual({ kind: 'poll' });
    s.beginPoll(1000 + POLL, false, false);
    expect(s.roundStart(1000 + POLL + 1)).toEqual({ kind: 'none' });
  });

  it.each([
    { ask: (s: PollSchedule<Followed>) => s.pollNow(), full: false, why: 'asked for (a file appeared or vanished)' },
    { ask: (s: PollSchedule<Followed>) => s.appeared('/c.log'), full: false, why: 'a path appeared' },
    { ask: (s: PollSchedule<Followed>) => s.pollAllNow(), full: true, why: 'a drain: a full poll' },
  ])('polls at once when $why', ({ ask, full }) => {
    const s = polled();
    ask(s);
    expect(s.fullPollPending).toBe(full);
    expect(s.roundStart(1001)).toEqual({ kind: 'poll' });
    expect(s.beginPoll(1001, false, false).full).toBe(full);
    expect(s.fullPollPending).toBe(false);
    expect(s.beginPoll(1002, false, false).full).toBe(false);
  });

  it.each([
    { now: 1000, sleep: POLL },
    { now: 1000 + POLL - 10, sleep: 10 },
    { now: 1000 + POLL, sleep: 1 },
    { now: 1000 + 3 * POLL, sleep: 1 },
  ])('sleeps $sleep ms at $now', ({ now, sleep }) => {
    expect(polled().sleepMs(now)).toBe(sleep);
  });
});

describe('PollSchedule: when a poll walks the globs again', () => {
  it('the first poll is a full one and never walks (the walk just ran)', () => {
    expect(new PollSchedule(POLL).beginPoll(0, true, false)).toEqual({ full: true, rescan: false });
  });

  it(`every ${POLLS_PER_RESCAN}th poll walks, unless a walk is still running`, () => {
    const s = new PollSchedule(POLL);
    s.beginPoll(0, true, false);
    const walks = Array.from({ length: 3 * POLLS_PER_RESCAN }, (_, i) => s.beginPoll(i + 1, false, i + 1 === 2 * POLLS_PER_RESCAN).rescan);
    expect(walks.flatMap((w, i) => (w ? [i + 1] : []))).toEqual([POLLS_PER_RESCAN, 3 * POLLS_PER_RESCAN]);
  });

  it('a vanished path makes the next poll walk, or the first one after a running walk ends', () => {
    const s = new PollSchedule(POLL);
    s.vanished();
    expect(s.beginPoll(1, false, true).rescan).toBe(false);
    expect(s.beginPoll(2, false, false).rescan).toBe(true);
    expect(s.beginPoll(3, false, false).rescan).toBe(false);
  });
});

describe('HotFiles: the files read between the slices of a long poll', () => {
  it.each([
    { dataAt: 1000, now: 1000 + HOT_MS, due: true, why: `data within ${HOT_MS} ms` },
    { dataAt: 1000, now: 1000 + HOT_MS + 1, due: false, why: 'no data for longer' },
    { dataAt: undefined, now: 1000, due: false, why: 'closed' },
  ])('$why: read = $due, and dropped otherwise', ({ dataAt, now, due }) => {
    const hot = new HotFiles<string>();
    hot.add('f');
    expect(hot.due(now, () => dataAt)).toEqual(due ? ['f'] : []);
    // A file dropped stays dropped until it is added again.
    expect(hot.due(1000, () => 1000)).toEqual(due ? ['f'] : []);
  });

  it('a file deleted (let go) is not read', () => {
    const hot = new HotFiles<string>();
    hot.add('a');
    hot.add('b');
    hot.delete('a');
    expect(hot.due(0, () => 0)).toEqual(['b']);
  });
});
