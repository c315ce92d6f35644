import { appendFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, scratchDir, startCli } from '../helpers/cli.ts';
import { recordingServer } from '../helpers/recording-server.ts';
import { adminOf, fileConfig, sample, scrape, until } from './helpers.ts';

interface LogLine {
  time: string;
  level: string;
  msg: string;
  sink?: string;
  code?: string;
  message?: string;
}

const FAIL_MS = 20_000;
const INTERVAL_MS = 5_000;

describe('a failing sink is reported', () => {
  it('warns at once, summarises at most once per interval, logs the recovery; status shows failing, then ok', async () => {
    const s = scratchDir('l2e-health-');
    let failing = true;
    let firstFailure = 0;
    const server = await recordingServer((_req, res) => {
      if (failing) {
        firstFailure ||= Date.now();
        res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
      } else {
        res.writeHead(200).end();
      }
    });
    const log = s.write('app.log', '');
    const config = (extraSink = '') =>
      s.write(
        'c.yaml',
        `state_dir: ${s.dir}/state
admin: { listen: "127.0.0.1:0" }
delivery: { health_log_interval: ${INTERVAL_MS}ms }
sources: { app: { type: file, include: ["${log}"], start_at: beginning, poll_interval: 50ms } }
sinks:
  hook: { type: http, url: "${server.url}/hook", batch: { linger: 10ms }, retry: { initial: 100ms, max: 400ms, max_elapsed: 1h } }
${extraSink}rules: [{ name: errors, when: { contains: "ERROR" }, event: { name: E, source: app, content: "{{body}}" }, to: [hook] }]
`,
      );
    const file = config();
    const agent = await startCli(['run', '-c', file]);
    const lines = () =>
      agent
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
    try {
      const admin = adminOf(agent.stderr());
      const feed = setInterval(() => appendFileSync(log, 'ERROR something\n'), 200);
      try {
        await until(() => lines().some((l) => l.msg === 'sink failing'), 10_000, 'the warning');
        const warning = lines().find((l) => l.msg === 'sink failing')!;
        expect(warning).toMatchObject({ level: 'warn', sink: 'hook', code: 'http_503' });
        expect(Date.parse(warning.time) - firstFailure).toBeLessThan(2000);

        const status = (await (await fetch(`${admin}/status`)).json()) as {
          sinks: Record<string, { state: string; last_error?: { code: string } }>;
        };
        expect(status.sinks.hook).toMatchObject({ state: 'failing', last_error: { code: 'http_503' } });
        const cli = await runCli(['status', '--admin', admin]);
        expect(cli.code).toBe(0);
        expect(cli.stdout).toMatch(/^hook\s+failing\s+\d+\s+0\s+\d+\s+0\s+\d+\s+\S+\s+\d+s ago http_503/m);
        expect(sample(await scrape(admin), 'log2events_sink_up', { sink: 'hook' })).toBe(0);

        // A reload that replaces the delivery engine (a sink added) keeps hook's state: no second "sink failing".
        config(`  spare: { type: file, path: ${s.dir}/spare.jsonl }\n`);
        agent.child.kill('SIGHUP');
        await until(() => lines().some((l) => l.msg === 'config reloaded'), 20_000, 'the reload');

        await new Promise((r) => setTimeout(r, Math.max(0, firstFailure + FAIL_MS - Date.now())));
        failing = false;
        await until(() => lines().some((l) => l.msg === 'sink recovered'), 20_000, 'the recovery line');
      } finally {
        clearInterval(feed);
      }
      const summaries = lines().filter((l) => l.msg === 'sink still failing');
      expect(summaries.length).toBeGreaterThan(0);
      for (let i = 1; i < summaries.length; i++)
        expect(Date.parse(summaries[i]!.time) - Date.parse(summaries[i - 1]!.time)).toBeGreaterThanOrEqual(INTERVAL_MS);
      expect(summaries.length).toBeLessThanOrEqual(Math.ceil(FAIL_MS / INTERVAL_MS) + 1);
      // No line per failed request or per entry.
      expect(lines().filter((l) => l.level === 'warn' && l.sink === 'hook').length).toBe(1 + summaries.length);

      await until(
        async () =>
          ((await (await fetch(`${admin}/status`)).json()) as { sinks: Record<string, { state: string }> }).sinks.hook!.state === 'ok',
        20_000,
        'state ok',
      );
      const cli = await runCli(['status', '--admin', admin]);
      expect(cli.stdout).toMatch(/^hook\s+ok\s/m);
      expect(sample(await scrape(admin), 'log2events_sink_up', { sink: 'hook' })).toBe(1);
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      await server.close();
      s.cleanup();
    }
  }, 90_000);

  it('shows a source that warned as degraded, with its last problem', async () => {
    const s = scratchDir('l2e-health-');
    // A compressed file in the glob: the file source skips it with a warning.
    writeFileSync(`${s.dir}/old.log.gz`, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x20]));
    const file = fileConfig(
      s,
      `${s.dir}/*.log*`,
      '  - { name: errors, when: { contains: "ERROR" }, event: { name: E, source: app }, to: [out] }\n',
    );
    const agent = await startCli(['run', '-c', file]);
    try {
      const admin = adminOf(agent.stderr());
      type Status = { sources: Record<string, { state: string; last_error?: { message: string } }> };
      let status: Status | undefined;
      await until(
        async () => {
          status = (await (await fetch(`${admin}/status`)).json()) as Status;
          return status.sources.app?.state === 'degraded';
        },
        20_000,
        'source app degraded',
      );
      expect(status!.sources.app!.last_error!.message).toContain('skipping compressed file');
      const cli = await runCli(['status', '--admin', admin]);
      expect(cli.stdout).toMatch(/^app\s+file\s+degraded\s+0\s+0\s+\d+s ago skipping compressed file/m);
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      s.cleanup();
    }
  });
});
