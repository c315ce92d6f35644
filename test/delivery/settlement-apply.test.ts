import { describe, expect, it } from 'vitest';
import { type SpoolRow, Ticket } from '../../src/delivery/ack-tracker.ts';
import type { RequestReport } from '../../src/delivery/delivery-report.ts';
import type { HeldEntry, LaneEntry, SpooledEntry } from '../../src/delivery/lane-entry.ts';
import { Settler } from '../../src/delivery/settlement-apply.ts';
import type { Fate, PlannedEntry, SettlementPlan } from '../../src/delivery/settlement-plan.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import type { Settlement } from '../../src/store/state-store.ts';
import { event } from './helpers.ts';

const STARTED = 1_000_000;
const NOW = STARTED + 40;
/** The fake policy's delay: 100 ms per attempt made. */
const delay = (attempts: number) => 100 * attempts;

const DELIVERED: Fate = { kind: 'delivered' };
const RETRY_AT = NOW + 500;
const RETRY: Fate = { kind: 'retry', code: 'Throttling', message: 'slow down', at: RETRY_AT };
const DEAD: Fate = { kind: 'dead', code: 'AccessDenied', message: 'no' };

function spooledEntry(seq: number): SpooledEntry {
  return {
    kind: 'spooled',
    seq,
    eventRow: 100 + seq,
    event: event({ id: `s${seq}` }),
    size: 1,
    attempts: 0,
    firstAttempt: null,
    readyAt: 0,
  };
}

function heldEntry(id: string): HeldEntry {
  const held: ConstructorParameters<typeof Ticket>[0] = {
    commit: { checkpoints: [], events: [], open: 1, since: 0 },
    row: { eventId: id, body: '', bytes: 0, sinks: ['loop'], deadSinks: [] },
    tickets: [],
    open: 1,
  };
  return { kind: 'held', ticket: new Ticket(held, 'loop'), event: event({ id }), size: 1, attempts: 0, firstAttempt: null, readyAt: 0 };
}

function plan(...entries: [LaneEntry, Fate][]): SettlementPlan<LaneEntry> {
  const planned: PlannedEntry<LaneEntry>[] = entries.map(([entry, fate]) => ({
    entry,
    fate,
    attempts: entry.attempts + 1,
    firstAttempt: entry.firstAttempt ?? STARTED,
  }));
  return { entries: planned, pauseUntil: undefined };
}

/**
 * A settler over fakes: the settle queue records what it is given and answers `storeOk`; the
 * tracker answers an ack with the row of a ticket whose commit was secured (`secured`) and a
 * nack with fresh rows, or nothing while `spoolRefuses`.
 */
function harness(opts: { storeOk?: boolean; spoolRefuses?: boolean; secured?: Map<Ticket, SpoolRow> } = {}) {
  const written: Settlement[] = [];
  const acked: Ticket[] = [];
  const nacked: Ticket[] = [];
  const retries: { at: number; entry: LaneEntry }[] = [];
  const released: LaneEntry[] = [];
  const settled: number[] = [];
  const reports: RequestReport[] = [];
  const metrics = new Metrics();
  let nextSeq = 500;
  const settler = new Settler({
    name: 'loop',
    logger: silentLogger,
    metrics,
    queue: {
      enqueue: (s) => {
        written.push(s);
        return Promise.resolve(opts.storeOk ?? true);
      },
    },
    tracker: {
      ack: (t) => {
        acked.push(t);
        return opts.secured?.get(t);
      },
      nack: (ts) => {
        nacked.push(...ts);
        return opts.spoolRefuses ? undefined : ts.map(() => ({ seq: nextSeq, eventRow: nextSeq++ + 1000 }));
      },
    },
    policy: { delay },
    observer: { onRequest: (r) => reports.push(r) },
    retryAt: (at, entry) => retries.push({ at, entry }),
    release: (entry) => released.push(entry),
    settled: (seq) => settled.push(seq),
  });
  const count = (name: string) => metrics.value(name, { sink: 'loop' });
  return { settler, written, acked, nacked, retries, released, settled, reports, count };
}

const request = { throttled: false, startedAt: STARTED, now: NOW };

describe('Settler: applying a settlement plan', () => {
  it('a delivered spooled entry leaves the spool, then memory: released, its seq settled, counted', async () => {
    const h = harness();
    const e = spooledEntry(1);
    await h.settler.apply(plan([e, DELIVERED]), request);
    expect(h.written).toEqual([{ delivered: [e], retried: [], dead: [] }]);
    expect(h.released).toEqual([e]);
    expect(h.settled).toEqual([1]);
    expect(h.retries).toEqual([]);
    expect(h.count('log2events_delivered_total')).toBe(1);
    expect(e.attempts).toBe(1);
    expect(e.firstAttempt).toBe(STARTED);
  });

  it('a delivered held entry acks its ticket and is released at once, with nothing written', async () => {
    const h = harness();
    const e = heldEntry('h1');
    await h.settler.apply(plan([e, DELIVERED]), request);
    expect(h.acked).toEqual([e.ticket]);
    expect(h.written).toEqual([]);
    expect(h.released).toEqual([e]);
    expect(h.settled).toEqual([]);
    expect(h.count('log2events_delivered_total')).toBe(1);
  });

  it('a delivered held entry whose commit was secured meanwhile is settled as its row', async () => {
    const e = heldEntry('h1');
    const h = harness({ secured: new Map([[e.ticket, { seq: 7, eventRow: 70 }]]) });
    await h.settler.apply(plan([e, DELIVERED]), request);
    expect(h.written[0]?.delivered).toMatchObject([{ kind: 'spooled', seq: 7, eventRow: 70, event: e.event }]);
    expect(h.settled).toEqual([7]);
  });

  it('held entries that failed nack their tickets in one call and are retried as their new rows', async () => {
    const h = harness();
    const a = heldEntry('a');
    const b = heldEntry('b');
    await h.settler.apply(plan([a, RETRY], [b, RETRY]), request);
    expect(h.nacked).toEqual([a.ticket, b.ticket]);
    expect(h.written[0]?.retried).toEqual([
      { seq: 500, attempts: 1, firstAttempt: STARTED, lastAttempt: STARTED, code: 'Throttling', message: 'slow down' },
      { seq: 501, attempts: 1, firstAttempt: STARTED, lastAttempt: STARTED, code: 'Throttling', message: 'slow down' },
    ]);
    expect(h.retries.map((r) => [r.at, r.entry.kind, r.entry.kind === 'spooled' && r.entry.seq])).toEqual([
      [RETRY_AT, 'spooled', 500],
      [RETRY_AT, 'spooled', 501],
    ]);
    expect(h.released).toEqual([]);
    expect(h.count('log2events_retries_total')).toBe(2);
  });

  it('a failed held entry the store refused to spool stays held and is retried from memory after a delay', async () => {
    const h = harness({ spoolRefuses: true });
    const e = heldEntry('h1');
    await h.settler.apply(plan([e, DEAD]), request);
    expect(h.written).toEqual([]);
    expect(h.retries).toEqual([{ at: NOW + delay(1), entry: e }]);
    // Not a dead letter yet: it has no row to become one.
    expect(h.reports[0]?.entries).toEqual([{ event: e.event, outcome: 'retry', code: 'AccessDenied', message: 'no' }]);
  });

  it('a dead spooled entry becomes a dead letter with the attempt, then is released and settled', async () => {
    const h = harness();
    const e = spooledEntry(3);
    await h.settler.apply(plan([e, DEAD]), request);
    expect(h.written[0]?.dead).toEqual([
      {
        seq: 3,
        eventRow: 103,
        sink: 'loop',
        code: 'AccessDenied',
        message: 'no',
        attempts: 1,
        firstAttempt: STARTED,
        lastAttempt: STARTED,
      },
    ]);
    expect(h.released).toEqual([e]);
    expect(h.settled).toEqual([3]);
    expect(h.count('log2events_dead_letters_total')).toBe(1);
  });

  it('when the store refuses the write, every entry of it stays in memory for another attempt', async () => {
    const h = harness({ storeOk: false });
    const [a, b, c] = [spooledEntry(1), spooledEntry(2), spooledEntry(3)];
    await h.settler.apply(plan([a, DELIVERED], [b, DEAD], [c, RETRY]), request);
    expect(h.released).toEqual([]);
    expect(h.settled).toEqual([]);
    expect(h.retries).toEqual([
      { at: NOW + delay(1), entry: a },
      { at: NOW + delay(1), entry: b },
      { at: NOW + delay(1), entry: c },
    ]);
    expect(h.count('log2events_delivered_total')).toBe(0);
    expect(h.count('log2events_dead_letters_total')).toBe(0);
  });

  it('tells the observer each entry of the request, in batch order', async () => {
    const h = harness();
    const [a, b, c] = [spooledEntry(1), spooledEntry(2), spooledEntry(3)];
    await h.settler.apply(plan([a, DELIVERED], [b, RETRY], [c, DEAD]), { ...request, throttled: true });
    expect(h.reports).toEqual([
      {
        sink: 'loop',
        throttled: true,
        latencyMs: 40,
        at: NOW,
        entries: [
          { event: a.event, outcome: 'delivered' },
          { event: b.event, outcome: 'retry', code: 'Throttling', message: 'slow down' },
          { event: c.event, outcome: 'dead_letter', code: 'AccessDenied', message: 'no' },
        ],
      },
    ]);
  });

  it('an entry dead on arrival is written with no attempt, and its seq settled once the store has it', async () => {
    const ok = harness();
    await ok.settler.deadOnArrival(spooledEntry(4), 'entry_too_large', 'too big');
    expect(ok.written[0]?.dead).toEqual([
      {
        seq: 4,
        eventRow: 104,
        sink: 'loop',
        code: 'entry_too_large',
        message: 'too big',
        attempts: 0,
        firstAttempt: null,
        lastAttempt: null,
      },
    ]);
    expect(ok.settled).toEqual([4]);

    const refused = harness({ storeOk: false });
    await refused.settler.deadOnArrival(spooledEntry(4), 'entry_too_large', 'too big');
    expect(refused.settled).toEqual([]);
  });
});
