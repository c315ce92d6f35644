import { appendFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { recordingServer } from '../helpers/recording-server.ts';
import { adminOf, sample, scrape, until } from './helpers.ts';

interface Received {
  id: string;
  name: string;
  content: string;
}

function config(dir: string, log: string, url: string, version: 'v1' | 'v2'): string {
  const v1 = version === 'v1';
  return `state_dir: ${dir}/state
admin: { listen: "127.0.0.1:0" }
sources: { app: { type: file, include: ["${log}"], start_at: beginning, poll_interval: 50ms } }
sinks:
  a: { type: http, url: "${url}/a", batch: { max_entries: ${v1 ? 7 : 13}, linger: 20ms } }
${v1 ? '' : `  b: { type: http, url: "${url}/b", batch: { linger: 20ms } }\n`}rules:
  - name: errors
    when: { contains: "ERROR" }
    event: { name: ${v1 ? 'Old' : 'New'}, source: app.logs, content: "{{body}}" }
    to: [${v1 ? 'a' : 'a, b'}]
`;
}

/** The line number in "ERROR line N". */
const lineNo = (r: Received) => Number(/line (\d+)/.exec(r.content)![1]);

describe('reload (SIGHUP)', () => {
  it('swaps rules and sinks under load: old events follow the old config, new ones the new, none lost or doubled, no file re-read', async () => {
    const s = scratchDir('l2e-reload-');
    const got: Record<string, Received[]> = { a: [], b: [] };
    const server = await recordingServer((req, res) => {
      const sink = req.path.slice(1);
      // A little latency, so that requests are in flight when the config changes.
      setTimeout(() => {
        for (const e of (JSON.parse(req.body) as { events: Received[] }).events) got[sink]!.push(e);
        res.writeHead(200).end();
      }, 5);
    });
    const log = s.write('app.log', '');
    const file = s.write('c.yaml', config(s.dir, log, server.url, 'v1'));
    const agent = await startCli(['run', '-c', file]);
    let written = 0;
    const write = (n: number) => {
      let text = '';
      for (let i = 0; i < n; i++) text += `2026-12-01T10:00:00Z ERROR line ${++written}\n`;
      appendFileSync(log, text);
    };
    // Load: a steady stream of lines while the config changes.
    const load = setInterval(() => write(20), 10);
    try {
      const admin = adminOf(agent.stderr());
      await until(() => got.a!.length >= 200, 30_000, '200 events at sink a');

      // An invalid edit: every problem is logged, the running config stays.
      writeFileSync(
        file,
        config(s.dir, log, server.url, 'v2')
          .replace('to: [a, b]', 'to: [a, nowhere]')
          .replace('linger: 20ms } }\nrules', 'linger: soon } }\nrules'),
      );
      agent.child.kill('SIGHUP');
      await until(() => agent.stderr().includes('config reload refused'), 20_000, 'the refusal');
      expect(agent.stderr()).toMatch(/"level":"error","msg":"[^"]*c\.yaml:\d+:\d+: [^"]*unknown sink \\"nowhere\\"/);
      expect(agent.stderr()).toMatch(/"level":"error","msg":"[^"]*c\.yaml:\d+:\d+: [^"]*linger/);
      const mark = got.a!.length;
      await until(() => got.a!.length > mark + 50, 30_000, 'delivery to go on under the old config');

      // state_dir cannot change without a restart.
      writeFileSync(file, config(s.dir, log, server.url, 'v1').replace(`${s.dir}/state`, `${s.dir}/other`));
      agent.child.kill('SIGHUP');
      await until(() => /config reload refused: state_dir cannot change/.test(agent.stderr()), 20_000, 'the state_dir refusal');

      // A valid edit: a rule and sink a change, sink b is added.
      writeFileSync(file, config(s.dir, log, server.url, 'v2'));
      agent.child.kill('SIGHUP');
      await until(() => agent.stderr().includes('"msg":"config reloaded"'), 30_000, 'the reload');
      const line = agent
        .stderr()
        .split('\n')
        .find((l) => l.includes('"msg":"config reloaded"'))!;
      expect(JSON.parse(line)).toMatchObject({ rules: { changed: ['errors'] }, sinks: { added: ['b'], changed: ['a'] } });
      await until(() => got.b!.length >= 200, 30_000, '200 events at sink b');
      clearInterval(load);
      await until(() => got.a!.length >= written, 30_000, `all ${written} lines at sink a`);
      const m = await scrape(admin);
      // Each line was read once: nothing was read again from the start of the file.
      expect(sample(m, 'log2events_source_records_total', { source: 'app' })).toBe(written);

      // Sink a: every line exactly once (no loss, no duplicate), Old up to the reload, New after.
      const ids = new Set(got.a!.map((e) => e.id));
      expect(ids.size).toBe(written);
      const byLine = [...got.a!].sort((x, y) => lineNo(x) - lineNo(y));
      expect(byLine.map(lineNo)).toEqual(Array.from({ length: written }, (_, i) => i + 1));
      const firstNew = byLine.findIndex((e) => e.name === 'New');
      expect(firstNew).toBeGreaterThan(0);
      expect(byLine.slice(0, firstNew).every((e) => e.name === 'Old')).toBe(true);
      expect(byLine.slice(firstNew).every((e) => e.name === 'New')).toBe(true);
      // Sink b: exactly the lines after the reload, once each, with the same ids as at sink a.
      const b = [...got.b!].sort((x, y) => lineNo(x) - lineNo(y));
      expect(b.map(lineNo)).toEqual(byLine.slice(firstNew).map(lineNo));
      expect(b.map((e) => e.id)).toEqual(byLine.slice(firstNew).map((e) => e.id));
    } finally {
      clearInterval(load);
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      await server.close();
      s.cleanup();
    }
  }, 120_000);
});
