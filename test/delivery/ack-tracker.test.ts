import { afterEach, describe, expect, it } from 'vitest';
import { AckTracker, type Ticket } from '../../src/delivery/ack-tracker.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { type CheckpointRow, type EventToSpool, StateStore } from '../../src/store/state-store.ts';
import { tempDir } from './helpers.ts';

const row = (id: string, sinks: string[] = ['s']): EventToSpool => {
  const body = JSON.stringify({ id });
  return { eventId: id, body, bytes: Buffer.byteLength(body), sinks, deadSinks: [] };
};
const cp = (value: string, key = 'f'): CheckpointRow => ({ source: 'in', key, value });
/** The ticket of row `i` for its sink `s`. */
const ticket = (tickets: Ticket[][], i = 0, s = 0): Ticket => {
  const t = tickets[i]?.[s];
  if (!t) throw new Error(`no ticket for row ${i}, sink ${s}`);
  return t;
};
/** The tracker writes complete commits' checkpoints on the next turn. */
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('AckTracker: held commits, acked and nacked by ticket', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  function setup() {
    const tmp = tempDir();
    const store = StateStore.open(tmp.dir);
    cleanups.push(tmp.cleanup, () => store.close());
    const secured: Ticket[] = [];
    const tracker = new AckTracker({
      store,
      logger: silentLogger,
      metrics: new Metrics(),
      holdMs: 60_000,
      onSecured: (tickets) => secured.push(...tickets),
      onChange: () => {},
    });
    cleanups.push(() => tracker.close());
    /** Holds a commit; answers its tickets, one list per row. */
    const hold = (rows: EventToSpool[], checkpoints: CheckpointRow[]) => {
      let tickets: readonly (readonly Ticket[])[] = [];
      const held = tracker.hold(rows, checkpoints, Date.now(), (t) => {
        tickets = t;
        return true;
      });
      expect(held).toBe(true);
      return tickets.map((t) => [...t]);
    };
    const position = () => store.checkpoints('in').get('f');
    const spooled = () => store.readEntries('s', 0, 100).map((e) => (JSON.parse(e.body) as { id: string }).id);
    return { store, tracker, hold, position, spooled, secured };
  }

  it("writes a commit's checkpoint once every ticket of it is acked, not before", async () => {
    const { tracker, hold, position, spooled } = setup();
    const tickets = hold([row('a'), row('b')], [cp('10')]);
    expect(tracker.events).toBe(2);
    expect(tracker.ack(ticket(tickets, 0))).toBeUndefined();
    await nextTurn();
    expect(position()).toBeUndefined();
    expect(tracker.ack(ticket(tickets, 1))).toBeUndefined();
    await nextTurn();
    expect(position()).toBe('10');
    expect(tracker.size).toBe(0);
    expect(spooled()).toEqual([]);
  });

  it('writes checkpoints in commit order: a complete commit waits for the older ones', async () => {
    const { hold, tracker, position } = setup();
    const older = ticket(hold([row('a')], [cp('10')]));
    const newer = ticket(hold([row('b')], [cp('20')]));
    tracker.ack(newer);
    await nextTurn();
    expect(position()).toBeUndefined();
    tracker.ack(older);
    await nextTurn();
    expect(position()).toBe('20');
  });

  it('a nack secures its commit and every older one; newer ones stay held', () => {
    const { hold, tracker, position, spooled, store } = setup();
    hold([row('a')], [cp('10')]);
    const b = ticket(hold([row('b')], [cp('20')]));
    hold([row('c')], [cp('30')]);
    const rows = tracker.nack([b]);
    expect(spooled()).toEqual(['a', 'b']);
    expect(position()).toBe('20');
    expect(tracker.size).toBe(1);
    expect(tracker.events).toBe(1);
    expect(rows?.map((r) => r.seq)).toEqual([store.readEntries('s', 0, 100)[1]?.seq]);
  });

  it('an ack after its commit was secured answers the row, which is then the lane’s to settle', () => {
    const { hold, tracker, store, secured } = setup();
    const a = ticket(hold([row('a')], [cp('10')]));
    expect(tracker.secure()).toBe(true);
    expect(secured).toEqual([a]);
    const stored = store.readEntries('s', 0, 100)[0];
    expect(tracker.ack(a)).toEqual({ seq: stored?.seq, eventRow: stored?.eventRow });
  });

  it('securing spools only the entries not acked yet, per sink', () => {
    const { hold, tracker, store, spooled } = setup();
    const tickets = hold([row('a'), row('b', ['s', 't'])], [cp('10')]);
    tracker.ack(ticket(tickets, 0));
    tracker.ack(ticket(tickets, 1, 1)); // b's entry for sink t
    tracker.secure();
    expect(spooled()).toEqual(['b']);
    expect(store.readEntries('t', 0, 100)).toEqual([]);
    expect(store.checkpoints('in').get('f')).toBe('10');
  });

  it('secureWith writes the held commits first, in the same transaction as the new rows', () => {
    const { hold, tracker, position, spooled } = setup();
    hold([row('a')], [cp('10')]);
    const created = tracker.secureWith([row('x')], [cp('30')], Date.now());
    expect(created.map((c) => c.index)).toEqual([0]);
    expect(spooled()).toEqual(['a', 'x']);
    expect(position()).toBe('30');
    expect(tracker.size).toBe(0);
  });

  it("forget drops a file's checkpoints from the held commits", async () => {
    const { hold, tracker, store } = setup();
    const a = ticket(hold([row('a')], [cp('10', 'f'), cp('5', 'g')]));
    tracker.forget('in', new Set(['f']));
    tracker.ack(a);
    await nextTurn();
    expect([...store.checkpoints('in')]).toEqual([['g', '5']]);
  });

  it('holds nothing when the lanes have no room', () => {
    const { tracker } = setup();
    expect(tracker.hold([row('a')], [cp('10')], Date.now(), () => false)).toBe(false);
    expect(tracker.size).toBe(0);
    expect(tracker.events).toBe(0);
  });
});
