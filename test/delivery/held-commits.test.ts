import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryEngine, type EngineSink } from '../../src/delivery/engine.ts';
import type { SpoolLimits } from '../../src/delivery/spool-intake.ts';
import type { Event } from '../../src/model/event.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import type { SendResult } from '../../src/sinks/sink.ts';
import type { Checkpoint } from '../../src/sources/source.ts';
import { StateStore } from '../../src/store/state-store.ts';
import { delivered, event, outcomes, ScriptedSink, sinkOptions, sleep, tempDir } from './helpers.ts';

const SPOOL: SpoolLimits = { max_events: 100_000, max_bytes: 256 * 1024 * 1024, full_policy: 'block' };
const REPLAYABLE = { replayable: true };
const cp = (value: string, key = 'f'): Checkpoint[] => [{ source: 'in', key, value }];

/** A sink whose requests wait until the test lets them go, one by one or all at once. */
class GatedSink extends ScriptedSink {
  private gates: (() => void)[] = [];
  constructor(answer?: ScriptedSink['answer']) {
    super('fake', { maxEntries: 10, maxBytes: 1_000_000 }, answer);
  }
  override send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    const call = this.calls.length;
    this.calls.push({ ids: batch.map((e) => e.id), at: Date.now() });
    return new Promise<void>((resolve) => {
      this.gates.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    }).then(() =>
      signal.aborted
        ? { outcomes: batch.map(() => ({ kind: 'retryable' as const, code: 'aborted', message: 'aborted' })), throttled: false }
        : this.answer(batch, call, signal),
    );
  }
  get waiting(): number {
    return this.gates.length;
  }
  release(index = 0): void {
    this.gates.splice(index, 1)[0]?.();
  }
  releaseAll(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('replayable commits are delivered from memory (ack-driven checkpoints)', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function setup(sink: ScriptedSink, opts: { dir?: string; window?: number; hold?: number; sinkOptions?: Record<string, unknown> } = {}) {
    const tmp = opts.dir ? { dir: opts.dir, cleanup: () => {} } : tempDir();
    const store = StateStore.open(tmp.dir);
    const metrics = new Metrics();
    const sinks = new Map<string, EngineSink>([
      ['fake', { sink, options: sinkOptions({ batch: { linger: 10 }, retry: { initial: 20 }, ...opts.sinkOptions }) }],
    ]);
    const engine = new DeliveryEngine({
      store,
      sinks,
      spool: { ...SPOOL, ...(opts.hold !== undefined ? { hold: opts.hold } : {}) },
      logger: silentLogger,
      metrics,
      ...(opts.window ? { window: opts.window } : {}),
    });
    cleanups.push(
      tmp.cleanup,
      () => store.isOpen && store.close(),
      () => engine.stop(1000),
    );
    engine.start();
    return { store, engine, metrics, dir: tmp.dir };
  }

  it('writes nothing to the spool and moves the checkpoint only once every event is delivered', async () => {
    const sink = new GatedSink();
    const { engine, store, metrics } = setup(sink);
    const events = Array.from({ length: 25 }, () => event());
    expect(engine.intake.commit(events, cp('42'), REPLAYABLE)).toEqual({ ok: true });
    await until(() => sink.waiting === 3);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
    expect(store.checkpoints('in').get('f')).toBeUndefined();
    expect(metrics.value('log2events_held_events')).toBe(25);
    sink.release();
    sink.release();
    await sleep(30);
    expect(store.checkpoints('in').get('f')).toBeUndefined(); // 5 events still out
    sink.releaseAll();
    expect(await engine.flush(3000)).toBe(true);
    await until(() => store.checkpoints('in').get('f') === '42');
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
    expect(metrics.value('log2events_held_events')).toBe(0);
    expect(metrics.value('log2events_spool_spilled_total') ?? 0).toBe(0);
    expect(sink.calls.flatMap((c) => c.ids).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('counts linger from when the source noticed the events, not from their commit', async () => {
    const sink = new GatedSink();
    const { engine } = setup(sink, { sinkOptions: { batch: { linger: 60_000 } } });
    // Noticed a minute ago (the read took that long): the linger is over, the request goes now.
    engine.intake.commit([event()], cp('1'), { replayable: true, noticedAt: Date.now() - 60_000 });
    await until(() => sink.waiting === 1);
  });

  it('writes checkpoints in commit order: a later commit delivered first waits for the earlier one', async () => {
    const sink = new GatedSink();
    const { engine, store } = setup(sink);
    engine.intake.commit([event()], cp('1'), REPLAYABLE);
    await until(() => sink.waiting === 1);
    engine.intake.commit([event()], cp('2'), REPLAYABLE);
    await until(() => sink.waiting === 2);
    sink.release(1); // the second commit's request
    await sleep(30);
    expect(store.checkpoints('in').get('f')).toBeUndefined();
    sink.release(0);
    await until(() => store.checkpoints('in').get('f') === '2');
  });

  it('spools a commit, with every older one held, when one of its entries fails; only the failed entry is sent again', async () => {
    const sink = new ScriptedSink('fake', { maxEntries: 10, maxBytes: 1_000_000 }, (batch, call) =>
      outcomes(batch, (_e, i) =>
        call === 0 && i === 2 ? { kind: 'retryable', code: 'InternalFailure', message: 'try again' } : delivered,
      ),
    );
    const { engine, store, metrics } = setup(sink);
    const events = Array.from({ length: 5 }, () => event());
    engine.intake.commit(events, cp('7'), REPLAYABLE);
    expect(await engine.flush(3000)).toBe(true);
    expect(sink.calls.map((c) => c.ids)).toEqual([events.map((e) => e.id), [events[2]!.id]]);
    expect(metrics.value('log2events_spool_spilled_total')).toBe(1);
    expect(metrics.value('log2events_retries_total', { sink: 'fake' })).toBe(1);
    expect(store.checkpoints('in').get('f')).toBe('7');
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
  });

  it('dead-letters a held event the sink rejects, with its body and the sink message', async () => {
    const sink = new ScriptedSink('fake', undefined, (batch) =>
      outcomes(batch, (e) =>
        e.content === 'bad' ? { kind: 'permanent', code: 'InvalidArgument', message: 'detail is not JSON' } : delivered,
      ),
    );
    const { engine, store } = setup(sink);
    const bad = event({ content: 'bad' });
    engine.intake.commit([event(), bad], cp('9'), REPLAYABLE);
    expect(await engine.flush(3000)).toBe(true);
    const dead = store.listDeadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ eventId: bad.id, code: 'InvalidArgument', message: 'detail is not JSON' });
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ id: bad.id, content: 'bad' });
    await until(() => store.checkpoints('in').get('f') === '9');
  });

  it('spools what is still held at stop, with its checkpoint; the next start delivers it', async () => {
    const sink = new GatedSink();
    const first = setup(sink, { sinkOptions: { retry: { initial: 5000 } } });
    const events = Array.from({ length: 4 }, () => event());
    first.engine.intake.commit(events, cp('5'), REPLAYABLE);
    await until(() => sink.waiting === 1);
    await first.engine.stop(300); // the request is aborted: nothing was delivered
    expect(first.store.totals().events).toBe(4);
    expect(first.store.checkpoints('in').get('f')).toBe('5');
    first.store.close();

    const next = new ScriptedSink();
    const second = setup(next, { dir: first.dir });
    expect(await second.engine.flush(3000)).toBe(true);
    expect(next.calls.flatMap((c) => c.ids).sort()).toEqual(events.map((e) => e.id).sort());
    expect(second.store.totals()).toEqual({ events: 0, bytes: 0 });
  });

  it('spools every held commit at once when the source asks (its file was rotated or went away)', async () => {
    const sink = new GatedSink();
    const { engine, store } = setup(sink);
    engine.intake.commit([event(), event()], cp('1'), REPLAYABLE);
    engine.intake.commit([event()], cp('2'), REPLAYABLE);
    await until(() => sink.waiting === 1);
    engine.intake.secure?.();
    expect(store.totals().events).toBe(3);
    expect(store.checkpoints('in').get('f')).toBe('2');
    sink.releaseAll();
    expect(await engine.flush(3000)).toBe(true);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
    expect(sink.calls.flatMap((c) => c.ids)).toHaveLength(3); // each sent once
  });

  it('spools a commit held longer than the hold time (a slow sink)', async () => {
    const sink = new GatedSink();
    const { engine, store } = setup(sink, { hold: 100 });
    engine.intake.commit([event(), event()], cp('3'), REPLAYABLE);
    await until(() => store.checkpoints('in').get('f') === '3', 2000);
    expect(store.totals().events).toBe(2);
    sink.releaseAll();
    expect(await engine.flush(3000)).toBe(true);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
    expect(sink.calls.flatMap((c) => c.ids)).toHaveLength(2);
  });

  it('spools a commit its lane has no room for the ordinary way, after the commits held before it', async () => {
    const sink = new GatedSink();
    const { engine, store } = setup(sink, { window: 4 });
    engine.intake.commit([event(), event(), event()], cp('1'), REPLAYABLE);
    await until(() => sink.waiting === 1);
    expect(store.totals().events).toBe(0);
    engine.intake.commit([event(), event()], cp('2'), REPLAYABLE); // 3 + 2 > 4
    expect(store.totals().events).toBe(5);
    expect(store.checkpoints('in').get('f')).toBe('2');
    sink.releaseAll();
    await until(() => sink.waiting > 0 || store.totals().events === 0);
    sink.releaseAll();
    expect(await engine.flush(3000)).toBe(true);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
    expect(new Set(sink.calls.flatMap((c) => c.ids)).size).toBe(5);
    expect(sink.calls.flatMap((c) => c.ids)).toHaveLength(5); // none read back from the spool twice
  });

  it('spools only the sink that failed when an event goes to two sinks; the other is not sent again', async () => {
    const tmp = tempDir();
    const store = StateStore.open(tmp.dir);
    const a = new ScriptedSink('a');
    const b = new ScriptedSink('b', undefined, (batch, call) =>
      outcomes(batch, () => (call === 0 ? { kind: 'retryable', code: 'Busy', message: 'later' } : delivered)),
    );
    const metrics = new Metrics();
    const options = sinkOptions({ batch: { linger: 10 }, retry: { initial: 20 } });
    const engine = new DeliveryEngine({
      store,
      sinks: new Map([
        ['a', { sink: a, options }],
        ['b', { sink: b, options }],
      ]),
      spool: SPOOL,
      logger: silentLogger,
      metrics,
    });
    cleanups.push(
      tmp.cleanup,
      () => store.isOpen && store.close(),
      () => engine.stop(1000),
    );
    engine.start();
    const both = event({ to: ['a', 'b'] });
    engine.intake.commit([both], cp('4'), REPLAYABLE);
    expect(await engine.flush(3000)).toBe(true);
    expect(a.calls.map((c) => c.ids)).toEqual([[both.id]]);
    expect(b.calls.map((c) => c.ids)).toEqual([[both.id], [both.id]]);
    expect(metrics.value('log2events_spool_spilled_total')).toBe(1);
    await until(() => store.checkpoints('in').get('f') === '4');
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
  });

  it('holds nothing with delivery.spool.hold: 0 (every event spooled with its offset first)', async () => {
    const sink = new GatedSink();
    const { engine, store } = setup(sink, { hold: 0 });
    engine.intake.commit([event(), event()], cp('6'), REPLAYABLE);
    expect(store.totals().events).toBe(2);
    expect(store.checkpoints('in').get('f')).toBe('6');
    await until(() => sink.waiting > 0);
    sink.releaseAll();
    expect(await engine.flush(3000)).toBe(true);
    expect(store.totals()).toEqual({ events: 0, bytes: 0 });
  });

  it('leaves held commits held when another source commits (stdin, OTLP have positions of their own)', async () => {
    const sink = new GatedSink();
    const { engine, store, metrics } = setup(sink);
    engine.intake.commit([event(), event()], cp('1'), REPLAYABLE);
    engine.intake.commit([event()]);
    expect(store.totals().events).toBe(1);
    expect(metrics.value('log2events_held_events')).toBe(2);
    await until(() => sink.waiting > 0);
    sink.releaseAll();
    await until(() => sink.waiting > 0 || store.totals().events === 0);
    sink.releaseAll();
    expect(await engine.flush(3000)).toBe(true);
    await until(() => store.checkpoints('in').get('f') === '1');
    expect(metrics.value('log2events_spool_spilled_total') ?? 0).toBe(0);
  });

  it('holds nothing for a commit that is not replayable (stdin, OTLP)', async () => {
    const sink = new GatedSink();
    const { engine, store } = setup(sink);
    engine.intake.commit([event()], cp('1'));
    expect(store.totals().events).toBe(1);
    expect(store.checkpoints('in').get('f')).toBe('1');
    sink.releaseAll();
    await until(() => sink.waiting > 0 || store.totals().events === 0);
    sink.releaseAll();
    expect(await engine.flush(3000)).toBe(true);
  });
});
