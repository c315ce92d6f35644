import { describe, expect, it } from 'vitest';
import { DeliveryEngine } from '../../src/delivery/engine.ts';
import type { SpoolLimits } from '../../src/delivery/spool-intake.ts';
import type { Event } from '../../src/model/event.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import type { EntryOutcome, SendResult } from '../../src/sinks/sink.ts';
import { StateStore } from '../../src/store/state-store.ts';
import { event, ScriptedSink, sinkOptions, sleep, tempDir } from './helpers.ts';

/** Deterministic pseudo-random numbers, so that a failure can be replayed. */
function rng(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/**
 * A "file" of events (event i has id line-i) read by a source that commits random runs of them
 * with the next index as checkpoint, as the file source does; the process "crashes" at random
 * moments: the store is closed where it stands and the sink of that generation goes silent (a
 * dead process sends nothing more). The next generation resumes from the stored checkpoint.
 */
describe('held commits survive crashes at random moments', () => {
  for (const seed of [7, 1234, 99_991, 31_337, 4242]) {
    it(`loses no event across 6 crashes with random sink outcomes (seed ${seed})`, async () => {
      const random = rng(seed);
      const total = 5000;
      const { dir, cleanup } = tempDir();
      const accepted = new Map<string, number>();
      let crashes = 0;
      const otlp = new Set<string>();
      const spool: SpoolLimits = { max_events: 500, max_bytes: 64 * 1024 * 1024, full_policy: 'block' };
      try {
        for (let generation = 0; generation <= 6; generation++) {
          const last = generation === 6;
          let dead = false;
          const sink = new ScriptedSink(
            'fake',
            { maxEntries: 20, maxBytes: 1_000_000 },
            async (batch: readonly Event[]): Promise<SendResult> => {
              await sleep(random() * 4);
              if (dead) return new Promise<SendResult>(() => {}); // a dead process hears nothing back
              const outcomes: EntryOutcome[] = batch.map((e) => {
                const r = random();
                if (r < (last ? 0 : 0.1)) return { kind: 'retryable', code: 'Busy', message: 'later' };
                if (r < (last ? 0 : 0.12)) return { kind: 'permanent', code: 'Bad', message: 'no' };
                accepted.set(e.id, (accepted.get(e.id) ?? 0) + 1);
                return { kind: 'delivered' };
              });
              return { outcomes, throttled: false };
            },
          );
          const store = StateStore.open(dir);
          const hold = last ? 2000 : [2000, 30, 0][generation % 3]!;
          const engine = new DeliveryEngine({
            store,
            sinks: new Map([['fake', { sink, options: sinkOptions({ batch: { linger: 5 }, retry: { initial: 5, max: 20 } }) }]]),
            spool: { ...spool, hold },
            logger: silentLogger,
            metrics: new Metrics(),
            window: 300,
          });
          engine.start();
          let next = Number(store.checkpoints('src').get('f') ?? 0);
          const crashAt = Date.now() + 5 + random() * 40;
          while (next < total && (last || Date.now() < crashAt)) {
            const n = Math.min(total - next, 1 + Math.floor(random() * 150));
            const events = Array.from({ length: n }, (_, k) => event({ id: `line-${next + k}`, content: `line ${next + k}` }));
            const r = engine.intake.commit(events, [{ source: 'src', key: 'f', value: String(next + n) }], { replayable: true });
            if (r.ok) next += n;
            else if (r.reason === 'full') await Promise.race([engine.intake.waitForRoom(), sleep(20)]);
            // another source (OTLP, say) commits in between: spooled at once, never re-sent by a source
            if (random() < 0.3) {
              const id = `otlp-${otlp.size}`;
              if (engine.intake.commit([event({ id, content: id })]).ok) otlp.add(id);
            }
            await sleep(random() * 3);
          }
          if (last) {
            expect(await engine.flush(20_000)).toBe(true);
            await engine.stop(2000);
            store.close();
            break;
          }
          // kill -9, commits and requests in flight: what is committed stays, nothing else happens
          crashes += next < total ? 1 : 0;
          dead = true;
          store.close();
          void engine.stop(0).catch(() => undefined);
        }

        const store = StateStore.open(dir);
        const deadLetters = new Set(store.listDeadLetters().map((d) => d.eventId));
        expect(store.totals().events).toBe(0);
        expect(store.checkpoints('src').get('f')).toBe(String(total));
        store.close();
        const missing: number[] = []; // line numbers; -1 for another source's event
        for (let i = 0; i < total; i++) if (!accepted.has(`line-${i}`) && !deadLetters.has(`line-${i}`)) missing.push(i);
        for (const id of otlp) if (!accepted.has(id) && !deadLetters.has(id)) missing.push(-1);
        expect(missing).toEqual([]);
        expect(otlp.size).toBeGreaterThan(10);
        expect(crashes).toBeGreaterThanOrEqual(4); // most crashes come in the middle of the read
        const duplicates = [...accepted.values()].reduce((a, n) => a + n - 1, 0);
        expect(duplicates).toBeLessThanOrEqual(6 * 300); // at most a window per crash
      } finally {
        cleanup();
      }
    }, 60_000);
  }
});
