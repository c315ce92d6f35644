import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryEngine } from '../../src/delivery/engine.ts';
import type { SpoolLimits } from '../../src/delivery/spool-intake.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { HttpSink, httpSinkSchema } from '../../src/sinks/http/http-sink.ts';
import { StateStore } from '../../src/store/state-store.ts';
import { FakeReceiver } from './fake-receiver.ts';
import { event, tempDir } from './helpers.ts';

const SPOOL: SpoolLimits = { max_events: 100_000, max_bytes: 256 * 1024 * 1024, full_policy: 'block' };

describe('http sink', () => {
  let receiver: FakeReceiver;
  beforeEach(async () => {
    receiver = await new FakeReceiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  function sink(extra: Record<string, unknown> = {}): HttpSink {
    const config = httpSinkSchema().parse({ type: 'http', url: receiver.url, ...extra });
    return new HttpSink('fake', config);
  }
  const send = (s: HttpSink, n = 3) =>
    s.send(
      Array.from({ length: n }, () => event()),
      AbortSignal.timeout(5000),
    );

  it('validates its config strictly', () => {
    const schema = httpSinkSchema();
    expect(schema.safeParse({ type: 'http', url: 'ftp://x/' }).success).toBe(false);
    expect(schema.safeParse({ type: 'http', url: receiver.url, bogus: 1 }).success).toBe(false);
    const parsed = schema.parse({ type: 'http', url: receiver.url, max_bytes: '64KiB', concurrency: 'adaptive' });
    expect(parsed).toMatchObject({ max_entries: 100, max_bytes: 65536, headers: {}, timeout: 10_000 });
  });

  it('POSTs {"events":[...]} as JSON with the configured headers; 2xx without results delivers all', async () => {
    const s = sink({ headers: { authorization: 'Bearer t' } });
    const r = await send(s);
    expect(r).toEqual({ outcomes: [{ kind: 'delivered' }, { kind: 'delivered' }, { kind: 'delivered' }], throttled: false });
    expect(receiver.requests[0]!.headers).toMatchObject({ authorization: 'Bearer t', 'content-type': 'application/json' });
    expect(receiver.requests[0]!.ids).toHaveLength(3);
  });

  it('maps index-aligned results to per-entry outcomes', async () => {
    receiver.script = () => ({
      status: 200,
      body: JSON.stringify({
        results: [{ status: 'ok' }, { status: 'retry', code: 'Busy', message: 'later' }, { status: 'error', code: 'Bad', message: 'no' }],
      }),
    });
    expect((await send(sink())).outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'retryable', code: 'Busy', message: 'later' },
      { kind: 'permanent', code: 'Bad', message: 'no' },
    ]);
  });

  it('treats 429 and 503 as throttling, honouring Retry-After', async () => {
    receiver.script = (_e, i) => ({ status: i === 0 ? 429 : 503, headers: { 'retry-after': '2' }, body: 'slow down' });
    for (const code of ['http_429', 'http_503']) {
      const r = await send(sink(), 1);
      expect(r).toEqual({ outcomes: [{ kind: 'retryable', code, message: 'slow down', retryAfterMs: 2000 }], throttled: true });
    }
  });

  it('retries other 5xx, and rejects other 4xx for good with the body as message', async () => {
    receiver.script = (_e, i) => (i === 0 ? { status: 502, body: 'bad gateway' } : { status: 422, body: '{"error":"content too long"}' });
    expect((await send(sink(), 1)).outcomes).toEqual([{ kind: 'retryable', code: 'http_502', message: 'bad gateway' }]);
    expect((await send(sink(), 1)).outcomes).toEqual([{ kind: 'permanent', code: 'http_422', message: '{"error":"content too long"}' }]);
  });

  it('retries network errors and timeouts', async () => {
    receiver.script = () => ({ delayMs: 2000 });
    const timedOut = await sink().send([event()], AbortSignal.timeout(50));
    expect(timedOut.outcomes).toEqual([{ kind: 'retryable', code: 'timeout', message: 'request aborted or timed out' }]);
    const port = receiver.port;
    await receiver.stop();
    const refused = await new HttpSink('x', { url: `http://127.0.0.1:${port}/events`, headers: {}, max_entries: 10, max_bytes: 1000 }).send(
      [event()],
      AbortSignal.timeout(5000),
    );
    expect(refused.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'ECONNREFUSED' });
  });

  describe('through the delivery engine', () => {
    const cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    function engineFor(options: Record<string, unknown>) {
      const tmp = tempDir();
      const store = StateStore.open(tmp.dir);
      const config = httpSinkSchema().parse({ type: 'http', url: receiver.url, batch: { linger: 5 }, ...options });
      const metrics = new Metrics();
      const engine = new DeliveryEngine({
        store,
        sinks: new Map([['fake', { sink: new HttpSink('fake', config), options: config }]]),
        spool: SPOOL,
        logger: silentLogger,
        metrics,
      });
      cleanups.push(
        tmp.cleanup,
        () => store.close(),
        () => engine.stop(1000),
      );
      engine.start();
      return { engine, store, metrics };
    }

    it('waits at least Retry-After before the next attempt', async () => {
      receiver.script = (_e, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : {});
      const { engine, metrics } = engineFor({ retry: { initial: 10 } });
      const e = event();
      engine.intake.commit([e]);
      expect(await engine.flush(10_000)).toBe(true);
      expect(receiver.requests.map((r) => r.ids)).toEqual([[e.id], [e.id]]);
      expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(2000);
      expect(metrics.value('log2events_throttled_total', { sink: 'fake' })).toBe(1);
    }, 15_000);

    it('adaptive concurrency halves under throttling and grows back after', async () => {
      let throttle = true;
      receiver.script = () => (throttle ? { status: 429 } : {});
      const { engine } = engineFor({
        concurrency: { adaptive: { min: 1, max: 8, initial: 8 } },
        max_entries: 1,
        retry: { initial: 5, max: 20 },
      });
      expect(engine.concurrency('fake')).toBe(8);
      engine.intake.commit(Array.from({ length: 40 }, () => event()));
      while (engine.concurrency('fake')! > 1) await new Promise((r) => setTimeout(r, 5));
      expect(engine.concurrency('fake')).toBe(1);
      throttle = false;
      expect(await engine.flush(10_000)).toBe(true);
      engine.intake.commit(Array.from({ length: 100 }, () => event()));
      expect(await engine.flush(10_000)).toBe(true);
      expect(engine.concurrency('fake')).toBeGreaterThan(2);
      expect(new Set(receiver.ids()).size).toBe(140);
    }, 15_000);
  });
});
