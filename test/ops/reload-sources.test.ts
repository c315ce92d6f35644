import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { until } from './helpers.ts';

function config(dir: string, sources: string): string {
  return `state_dir: ${dir}/state
sources:
${sources}
sinks: { out: { type: file, path: ${dir}/out.jsonl } }
rules: [{ name: errors, when: { contains: "ERROR" }, event: { name: E, source: app, content: "{{body}}" }, to: [out] }]
`;
}

describe('reload (--watch-config): sources', () => {
  it('starts added sources, stops removed ones, restarts changed ones from their checkpoints', async () => {
    const s = scratchDir('l2e-reload-src-');
    const a = s.write('a.log', '');
    const b = s.write('b.log', '');
    const out = `${s.dir}/out.jsonl`;
    const delivered = () => {
      try {
        return readFileSync(out, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { content: string }).content);
      } catch {
        return [];
      }
    };
    const src = (name: string, file: string, poll = '50ms') =>
      `  ${name}: { type: file, include: ["${file}"], start_at: beginning, poll_interval: ${poll} }\n`;
    const file = s.write('c.yaml', config(s.dir, src('one', a)));
    const agent = await startCli(['run', '-c', file, '--watch-config']);
    const reloads = () =>
      agent
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"config reloaded"')).length;
    try {
      appendFileSync(a, 'ERROR a1\nERROR a2\n');
      appendFileSync(b, 'ERROR b1\n');
      await until(() => delivered().length === 2, 20_000, 'a1, a2');

      // Source one removed, two added.
      writeFileSync(file, config(s.dir, src('two', b)));
      await until(() => reloads() === 1, 20_000, 'the first reload');
      expect(agent.stderr()).toMatch(/"msg":"config reloaded".*"sources":\{"added":\["two"\],"removed":\["one"\]\}/);
      appendFileSync(a, 'ERROR a3 (not read: its source is gone)\n');
      appendFileSync(b, 'ERROR b2\n');
      await until(() => delivered().includes('ERROR b2'), 20_000, 'b2');

      // Source two changed: restarted from its checkpoint, nothing read twice.
      writeFileSync(file, config(s.dir, src('two', b, '60ms')));
      await until(() => reloads() === 2, 20_000, 'the second reload');
      expect(agent.stderr()).toMatch(/"msg":"config reloaded".*"sources":\{"changed":\["two"\]\}/);
      appendFileSync(b, 'ERROR b3\n');
      await until(() => delivered().includes('ERROR b3'), 20_000, 'b3');
      expect(delivered().sort()).toEqual(['ERROR a1', 'ERROR a2', 'ERROR b1', 'ERROR b2', 'ERROR b3']);
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      s.cleanup();
    }
  }, 90_000);
});
