import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryEngine, type EngineSink } from '../../src/delivery/engine.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { StateStore } from '../../src/store/state-store.ts';
import { delivered, event, outcomes, ScriptedSink, sinkOptions, tempDir } from './helpers.ts';

import type { SpoolLimits } from '../../src/delivery/spool-intake.ts';

const SPOOL: SpoolLimits = { max_events: 100_000, max_bytes: 256 * 1024 * 1024, full_policy: 'block' };

describe('DeliveryEngine', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function setup(
    sinks: Record<string, { sink: ScriptedSink; options?: Record<string, unknown> }>,
    spool = SPOOL,
    dir?: string,
    window?: number,
  ) {
    const tmp = dir ? { dir, cleanup: () => {} } : tempDir();
    const store = StateStore.open(tmp.dir);
    const metrics = new Metrics();
    const map = new Map<string, EngineSink>();
    for (const [name, s] of Object.entries(sinks))
      map.set(name, { sink: s.sink, options: sinkOptions({ batch: { linger: 10 }, ...s.options }) });
    const engine = new DeliveryEngine({ store, sinks: map, spool, logger: silentLogger, metrics, ...(window ? { window } : {}) });
    cleanups.push(
      tmp.cleanup,
      () => store.isOpen && store.close(),
      () => engine.stop(1000),
    );
    return { store, engine, metrics, dir: tmp.dir };
  }

  it('delivers committed events in batches within the sink limits and empties the spool', async () => {
    const sink = new ScriptedSink('fake', { maxEntries: 10, maxBytes: 1_000_000 });
    const { engine, store, metrics } = setup({ fake: { sink } });
    engine.start();
    const events = Array.from({ length: 95 }, () => event());
    expect(engine.intake.commit(events, [{ source: 'in', key: 'f', value: '42' }])).toEqual({ ok: true });
    expect(engine.intake.checkpoints('in').get('f')).toBe('42');
    expect(await engine.flush(5000)).toBe(true);
    const sent = sink.calls.flatMap((c) => c.ids);
    expect(sent.sort()).toEqual(events.map((e) => e.id).sort());
    for (const c of sink.calls) expect(c.ids.length).toBeLessThanOrEqual(10);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
    expect(metrics.value('log2events_delivered_total', { sink: 'fake' })).toBe(95);
    expect(engine.status()).toEqual({
      spool: { events: 0, bytes: 0, held_events: 0 },
      sinks: { fake: { state: 'ok', concurrency: 4, in_flight_requests: 0, pending: 0, backing_off: 0, spooled: 0, oldest_age_ms: null } },
    });
  });

  it('retries exactly the entries that failed, never the delivered ones', async () => {
    const sink = new ScriptedSink('fake', { maxEntries: 10, maxBytes: 1_000_000 }, (batch, call) =>
      outcomes(batch, (_e, i) =>
        call === 0 && (i === 3 || i === 7) ? { kind: 'retryable', code: 'InternalFailure', message: 'try again' } : delivered,
      ),
    );
    const { engine, metrics } = setup({ fake: { sink, options: { retry: { initial: 20 } } } });
    engine.start();
    const events = Array.from({ length: 10 }, () => event());
    engine.intake.commit(events);
    expect(await engine.flush(5000)).toBe(true);
    expect(sink.calls).toHaveLength(2);
    expect(sink.calls[0]!.ids).toEqual(events.map((e) => e.id));
    expect(sink.calls[1]!.ids.sort()).toEqual([events[3]!.id, events[7]!.id].sort());
    expect(metrics.value('log2events_retries_total', { sink: 'fake' })).toBe(2);
  });

  it('moves a permanently failed event to dead letters with the sink message; a replay delivers it', async () => {
    let accept = false;
    const sink = new ScriptedSink('fake', undefined, (batch) =>
      outcomes(batch, (e) =>
        e.content === 'bad' && !accept ? { kind: 'permanent', code: 'InvalidArgument', message: 'detail is not JSON' } : delivered,
      ),
    );
    const { engine, store } = setup({ fake: { sink } });
    engine.start();
    const bad = event({ content: 'bad' });
    engine.intake.commit([event(), bad, event()]);
    expect(await engine.flush(5000)).toBe(true);
    const dead = store.listDeadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ eventId: bad.id, sink: 'fake', code: 'InvalidArgument', message: 'detail is not JSON', attempts: 1 });
    expect(dead[0]!.firstAttempt).toBeTypeOf('number');
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ id: bad.id, content: 'bad' });

    accept = true;
    expect(store.replayDeadLetters({ sink: 'fake' }, Date.now())).toBe(1);
    (engine as unknown as { recheck(): void }).recheck();
    expect(await engine.flush(5000)).toBe(true);
    expect(store.listDeadLetters()).toHaveLength(0);
    expect(sink.calls.at(-1)!.ids).toEqual([bad.id]);
  });

  it('dead-letters an entry whose retries outlast max_elapsed', async () => {
    const sink = new ScriptedSink('fake', undefined, (batch) =>
      outcomes(batch, () => ({ kind: 'retryable', code: 'InternalFailure', message: 'down' })),
    );
    const { engine, store } = setup({ fake: { sink, options: { retry: { initial: 10, max: 20, max_elapsed: 100 } } } });
    engine.start();
    const e = event();
    engine.intake.commit([e]);
    expect(await engine.flush(5000)).toBe(true);
    const [dead] = store.listDeadLetters();
    expect(dead).toMatchObject({ eventId: e.id, code: 'InternalFailure' });
    expect(dead!.message).toContain('down');
    expect(dead!.attempts).toBe(sink.calls.length);
    expect(dead!.attempts).toBeGreaterThan(1);
  });

  it('dead-letters an event too large for any request, alone', async () => {
    const sink = new ScriptedSink('fake', { maxEntries: 10, maxBytes: 1000 });
    const { engine, store } = setup({ fake: { sink } });
    engine.start();
    const big = event({ content: 'x'.repeat(2000) });
    const small = event();
    engine.intake.commit([big, small]);
    expect(await engine.flush(5000)).toBe(true);
    expect(sink.calls.flatMap((c) => c.ids)).toEqual([small.id]);
    expect(store.listDeadLetters()).toMatchObject([{ eventId: big.id, code: 'entry_too_large' }]);
  });

  it('keeps one entry per sink: each sink retries on its own', async () => {
    const a = new ScriptedSink('a');
    const b = new ScriptedSink('b', undefined, (batch, call) =>
      outcomes(batch, () => (call === 0 ? { kind: 'retryable', code: 'x', message: 'later' } : delivered)),
    );
    const { engine, store } = setup({ a: { sink: a }, b: { sink: b, options: { retry: { initial: 10 } } } });
    engine.start();
    const e = event({ to: ['a', 'b'] });
    engine.intake.commit([e]);
    expect(await engine.flush(5000)).toBe(true);
    expect(a.calls.map((c) => c.ids)).toEqual([[e.id]]);
    expect(b.calls.map((c) => c.ids)).toEqual([[e.id], [e.id]]);
    expect(store.totals().events).toBe(0);
  });

  it('dead-letters events routed to a sink that does not exist, at commit and at start', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const old = new ScriptedSink('gone', undefined, () => new Promise(() => {}));
    const first = setup({ gone: { sink: old } }, SPOOL, dir);
    const spooled = event({ to: ['gone'] });
    first.engine.intake.commit([spooled]);
    await first.engine.stop(10);
    first.store.close();

    const sink = new ScriptedSink('fake');
    const { engine, store } = setup({ fake: { sink } }, SPOOL, dir);
    engine.start();
    const stray = event({ to: ['fake', 'nowhere'] });
    engine.intake.commit([stray]);
    expect(await engine.flush(5000)).toBe(true);
    expect(sink.calls.flatMap((c) => c.ids)).toEqual([stray.id]);
    const dead = store.listDeadLetters().map((d) => [d.eventId, d.sink, d.code, d.message]);
    expect(dead).toEqual([
      [spooled.id, 'gone', 'unknown_sink', 'sink "gone" is not configured (any more)'],
      [stray.id, 'nowhere', 'unknown_sink', 'sink "nowhere" is not configured'],
    ]);
  });

  it('delivers after a restart what the previous run left in the spool', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const stuck = new ScriptedSink(
      'fake',
      undefined,
      (_b, _c, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({ outcomes: [], throttled: false }))),
    );
    const first = setup({ fake: { sink: stuck } }, SPOOL, dir);
    first.engine.start();
    const events = Array.from({ length: 50 }, () => event());
    first.engine.intake.commit(events);
    await first.engine.stop(50);
    expect(first.engine.intake.commit([event()])).toEqual({ ok: false, reason: 'closed' });
    first.store.close();

    const sink = new ScriptedSink('fake');
    const second = setup({ fake: { sink } }, SPOOL, dir);
    second.engine.start();
    expect(await second.engine.flush(5000)).toBe(true);
    expect(sink.calls.flatMap((c) => c.ids).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('blocks intake while the spool is full and resumes without dropping anything', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink = new ScriptedSink('fake', { maxEntries: 5, maxBytes: 1_000_000 }, async (batch) => {
      await gate;
      return outcomes(batch, () => delivered);
    });
    const { engine, metrics } = setup({ fake: { sink } }, { max_events: 10, max_bytes: 1_000_000, full_policy: 'block' });
    engine.start();
    const first = Array.from({ length: 10 }, () => event());
    expect(engine.intake.commit(first)).toEqual({ ok: true });
    const more = Array.from({ length: 3 }, () => event());
    const refused = engine.intake.commit(more);
    expect(refused).toMatchObject({ ok: false, reason: 'full' });
    // A checkpoint alone (lines that matched no rule) always moves, full spool or not.
    expect(engine.intake.commit([], [{ source: 'in', key: 'f', value: '99' }])).toEqual({ ok: true });
    expect(engine.intake.checkpoints('in').get('f')).toBe('99');
    let roomed = false;
    const waiting = engine.intake.waitForRoom().then(() => (roomed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(roomed).toBe(false);
    release();
    await waiting;
    expect(engine.intake.commit(more)).toEqual({ ok: true });
    expect(await engine.flush(5000)).toBe(true);
    expect(sink.calls.flatMap((c) => c.ids).sort()).toEqual([...first, ...more].map((e) => e.id).sort());
    expect(metrics.total('log2events_spool_dropped_total')).toBe(0);
  });

  it('drop_oldest makes room by dropping the oldest events, counted', async () => {
    const sink = new ScriptedSink('fake', undefined, () => new Promise(() => {}));
    const { engine, store, metrics } = setup({ fake: { sink } }, { max_events: 10, max_bytes: 1_000_000, full_policy: 'drop_oldest' });
    const events = Array.from({ length: 15 }, () => event());
    for (const e of events) expect(engine.intake.commit([e])).toEqual({ ok: true });
    expect(store.totals().events).toBe(10);
    expect(metrics.value('log2events_spool_dropped_total')).toBe(5);
    const ids = store.readEntries('fake', 0, 100).map((r) => JSON.parse(r.body).id);
    expect(ids).toEqual(events.slice(5).map((e) => e.id));
  });

  it('stop sends what is pending, waits for in-flight requests and keeps the rest spooled', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const deliveredFirst = new Set<string>();
    const slow = new ScriptedSink('fake', { maxEntries: 10, maxBytes: 1_000_000 }, async (batch, _call, signal) => {
      await new Promise((r) => setTimeout(r, 30));
      // Like a server that never saw the request when the client gave up on it.
      if (!signal.aborted) for (const e of batch) deliveredFirst.add(e.id);
      return outcomes(batch, () => delivered);
    });
    const first = setup({ fake: { sink: slow, options: { concurrency: 2 } } }, SPOOL, dir);
    first.engine.start();
    const events = Array.from({ length: 200 }, () => event());
    first.engine.intake.commit(events);
    await first.engine.stop(45);
    const left = first.store.totals().events;
    first.store.close();
    expect(left).toBeGreaterThan(0);
    expect(deliveredFirst.size + left).toBe(200);

    const sink = new ScriptedSink('fake');
    const second = setup({ fake: { sink } }, SPOOL, dir);
    second.engine.start();
    expect(await second.engine.flush(5000)).toBe(true);
    const second_ = sink.calls.flatMap((c) => c.ids);
    expect(second_.filter((id) => deliveredFirst.has(id))).toEqual([]);
    expect(new Set([...deliveredFirst, ...second_]).size).toBe(200);
  });

  it('gives up on a request after `timeout` and retries its entries', async () => {
    // The first call never answers and ignores its signal: the lane must not stall on it.
    const sink = new ScriptedSink('fake', undefined, (batch, call) =>
      call === 0 ? new Promise(() => {}) : outcomes(batch, () => delivered),
    );
    const { engine, store } = setup({ fake: { sink, options: { timeout: 50, retry: { initial: 10 } } } });
    engine.start();
    const e = event();
    engine.intake.commit([e]);
    expect(await engine.flush(5000)).toBe(true);
    expect(sink.calls.map((c) => c.ids)).toEqual([[e.id], [e.id]]);
    expect(store.listDeadLetters()).toEqual([]);
  });

  it('starts no more than rate_limit requests in any second', async () => {
    const sink = new ScriptedSink('fake', { maxEntries: 1, maxBytes: 1_000_000 });
    const { engine } = setup({ fake: { sink, options: { rate_limit: 10, concurrency: 8 } } });
    engine.start();
    engine.intake.commit(Array.from({ length: 25 }, () => event()));
    expect(await engine.flush(10_000)).toBe(true);
    expect(sink.calls).toHaveLength(25);
    // p-queue's strict (sliding window) limiter: the 11th start is an interval after the 1st
    // (less a little: the sink stamps the call a moment after p-queue stamped the start).
    // Without a limit all 25 would start within milliseconds.
    for (let i = 0; i + 10 < sink.calls.length; i++) expect(sink.calls[i + 10]!.at - sink.calls[i]!.at).toBeGreaterThanOrEqual(900);
  });

  it('answers a commit the store cannot write like a full spool, so the source keeps its position', async () => {
    const sink = new ScriptedSink('fake');
    const { engine, store, metrics } = setup({ fake: { sink } });
    store.close();
    expect(engine.intake.commit([event()], [{ source: 'in', key: 'f', value: '1' }])).toMatchObject({ ok: false, reason: 'full' });
    expect(metrics.value('log2events_spool_commit_errors_total')).toBe(1);
  });

  it('holds a bounded window of entries in memory and reads the rest from the spool as it goes', async () => {
    const sink = new ScriptedSink('fake', { maxEntries: 7, maxBytes: 1_000_000 });
    const { engine } = setup({ fake: { sink } }, SPOOL, undefined, 20);
    engine.start();
    const events = Array.from({ length: 300 }, () => event());
    for (let i = 0; i < events.length; i += 50) engine.intake.commit(events.slice(i, i + 50));
    expect(await engine.flush(5000)).toBe(true);
    const sent = sink.calls.flatMap((c) => c.ids);
    expect(sent).toHaveLength(300);
    expect(new Set(sent)).toEqual(new Set(events.map((e) => e.id)));
  });

  it('lets go of a delivered batch at once, not when its request timeout would have fired', async () => {
    const sink = new ScriptedSink('fake', { maxEntries: 10, maxBytes: 1_000_000 });
    const { engine } = setup({ fake: { sink, options: { timeout: 600_000 } } });
    engine.start();
    const refs = (() => {
      const events = Array.from({ length: 30 }, () => event());
      engine.intake.commit(events);
      return events.map((e) => new WeakRef(e));
    })();
    expect(await engine.flush(5000)).toBe(true);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 3 && refs.some((r) => r.deref()); i++) {
      await new Promise((r) => setTimeout(r, 20));
      gc();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });

  it('keeps retry state across restarts: max_elapsed counts from the first attempt ever', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const failing = () =>
      new ScriptedSink('fake', undefined, (batch) => outcomes(batch, () => ({ kind: 'retryable', code: 'Busy', message: 'busy' })));
    const firstSink = failing();
    const first = setup({ fake: { sink: firstSink, options: { retry: { initial: 10, max: 10 } } } }, SPOOL, dir);
    first.engine.start();
    first.engine.intake.commit([event()]);
    await new Promise((r) => setTimeout(r, 150));
    await first.engine.stop(100);
    first.store.close();

    const sink = failing();
    const second = setup({ fake: { sink, options: { retry: { initial: 10, max: 10, max_elapsed: 100 } } } }, SPOOL, dir);
    second.engine.start();
    expect(await second.engine.flush(5000)).toBe(true);
    // The first attempt was over 100 ms ago: one more try, then dead, with every attempt counted.
    expect(sink.calls).toHaveLength(1);
    const [dead] = second.store.listDeadLetters();
    expect(dead!.attempts).toBe(firstSink.calls.length + 1);
    expect(dead!.lastAttempt! - dead!.firstAttempt!).toBeGreaterThanOrEqual(100);
  });

  it('never lets a clear overtake the raise of the same alarm that is still being retried', async () => {
    const accepted: string[] = [];
    let unrelatedDone = false;
    // The raise fails until the unrelated alarm got through: so that one cannot have waited for it.
    const sink = new ScriptedSink('fake', undefined, (batch) =>
      outcomes(batch, (e) => {
        if (e.action === 'raise' && !unrelatedDone) return { kind: 'retryable', code: 'InternalFailure', message: 'later' };
        accepted.push(e.id);
        if (e.key === 'cpu|host1') unrelatedDone = true;
        return delivered;
      }),
    );
    const { engine } = setup({ fake: { sink, options: { retry: { initial: 20, max: 20 }, batch: { linger: 0 } } } });
    engine.start();
    const raise = event({ key: 'disk|host1', action: 'raise' });
    engine.intake.commit([raise]);
    while (sink.calls.length === 0) await new Promise((r) => setTimeout(r, 2));
    const clear = event({ key: 'disk|host1', action: 'clear' });
    const unrelated = event({ key: 'cpu|host1', action: 'clear' });
    engine.intake.commit([clear, unrelated]);
    expect(await engine.flush(5000)).toBe(true);
    expect(accepted).toEqual([unrelated.id, raise.id, clear.id]);
  });

  it('dead-letters an event the sink cannot encode, alone', async () => {
    const sink = new ScriptedSink('fake');
    const entrySize = sink.entrySize.bind(sink);
    sink.entrySize = (e) => {
      if (e.content === 'unencodable') throw new Error('no resource id');
      return entrySize(e);
    };
    const { engine, store } = setup({ fake: { sink } });
    engine.start();
    const bad = event({ content: 'unencodable' });
    const good = event();
    engine.intake.commit([bad, good]);
    expect(await engine.flush(5000)).toBe(true);
    expect(sink.calls.flatMap((c) => c.ids)).toEqual([good.id]);
    expect(store.listDeadLetters()).toMatchObject([
      { eventId: bad.id, code: 'invalid_event', message: 'the scripted sink cannot encode the event: no resource id' },
    ]);
  });
});
