import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { adminOf, fileConfig, histogramValue, sample, scrape, until } from './helpers.ts';

describe('/metrics of a running agent', () => {
  it('follows the Prometheus conventions: counters at 0 from the start, histograms, runtime metrics, build info', async () => {
    const s = scratchDir('l2e-metrics-');
    const log = s.write('app.log', '');
    const file = fileConfig(
      s,
      log,
      `  - { name: errors, when: { severity: ">= ERROR" }, event: { name: AppError, source: app.logs }, to: [out] }
  - { name: never, when: { contains: "no line says this" }, event: { name: Never, source: app.logs }, to: [out] }
`,
      'delivery: { spool: { hold: 0 } }\n',
    );
    const agent = await startCli(['run', '-c', file]);
    try {
      const admin = adminOf(agent.stderr());
      const m = await scrape(admin);

      // Every counter is a *_total, and every configured source, rule and sink has its at 0.
      for (const f of m.values()) if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/);
      for (const [name, labels] of [
        ['log2events_source_records_total', { source: 'app' }],
        ['log2events_source_events_total', { source: 'app' }],
        ['log2events_rule_matches_total', { rule: 'errors' }],
        ['log2events_rule_matches_total', { rule: 'never' }],
        ['log2events_rule_throttled_total', { rule: 'never' }],
        ['log2events_sink_events_total', { sink: 'out' }],
        ['log2events_requests_total', { sink: 'out' }],
        ['log2events_delivered_total', { sink: 'out' }],
        ['log2events_retries_total', { sink: 'out' }],
        ['log2events_dead_letters_total', { sink: 'out' }],
        ['log2events_throttled_total', { sink: 'out' }],
        ['log2events_spool_full_total', {}],
      ] as const) {
        expect(m.get(name)?.type, name).toBe('COUNTER');
        expect(sample(m, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(0);
      }
      for (const name of [
        'log2events_sink_request_duration_seconds',
        'log2events_sink_batch_entries',
        'log2events_spool_commit_duration_seconds',
      ]) {
        expect(m.get(name)?.type, name).toBe('HISTOGRAM');
      }
      expect(m.get('log2events_build_info')?.type).toBe('GAUGE');
      expect(m.get('log2events_build_info')?.metrics[0]?.labels?.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(sample(m, 'log2events_sink_up', { sink: 'out' })).toBe(1);
      expect(m.get('log2events_spool_events')?.type).toBe('GAUGE');
      // Process and Node.js runtime metrics.
      for (const name of [
        'process_resident_memory_bytes',
        'process_cpu_user_seconds_total',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
      ])
        expect(m.has(name), name).toBe(true);

      // Traffic moves the values.
      appendFileSync(log, 'ERROR one\nINFO two\nERROR three\nERROR four\n');
      let after = m;
      await until(
        async () => {
          after = await scrape(admin);
          return sample(after, 'log2events_delivered_total', { sink: 'out' }) === 3;
        },
        20_000,
        '3 deliveries',
      );
      expect(sample(after, 'log2events_source_records_total', { source: 'app' })).toBe(4);
      expect(sample(after, 'log2events_source_events_total', { source: 'app' })).toBe(3);
      expect(sample(after, 'log2events_rule_matches_total', { rule: 'errors' })).toBe(3);
      expect(sample(after, 'log2events_rule_matches_total', { rule: 'never' })).toBe(0);
      expect(sample(after, 'log2events_sink_events_total', { sink: 'out' })).toBe(3);
      expect(sample(after, 'log2events_requests_total', { sink: 'out' })).toBeGreaterThan(0);
      expect(histogramValue(m.raw, 'log2events_sink_request_duration_seconds', 'count', '{sink="out"}')).toBe(0);
      expect(histogramValue(after.raw, 'log2events_sink_request_duration_seconds', 'count', '{sink="out"}')).toBeGreaterThan(0);
      expect(histogramValue(after.raw, 'log2events_sink_batch_entries', 'sum', '{sink="out"}')).toBe(3);
      expect(histogramValue(after.raw, 'log2events_spool_commit_duration_seconds', 'count', '')).toBeGreaterThan(0);

      // The state holds event payloads: private to the agent's user.
      expect(statSync(join(s.dir, 'state')).mode & 0o777).toBe(0o700);
      for (const f of ['log2events.db', 'log2events.db-wal', 'log2events.lock'])
        expect(statSync(join(s.dir, 'state', f)).mode & 0o777, f).toBe(0o600);
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      s.cleanup();
    }
  });
});
