import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALLED, runCli, scratchDir } from '../helpers/cli.ts';
import { freePort } from '../helpers/otlp-agent.ts';
import { sinkEvents, until } from '../file/e2e-helpers.ts';

/**
 * Patterns that backtrack exponentially on a line they do not match: without protection each of
 * these lines takes minutes (the agent froze, ignored SIGTERM, and froze again after a restart).
 */
const WORDS = `${Array.from({ length: 34 }, (_, i) => `word${i}`).join(' ')}!`;
const AS = `${'a'.repeat(40)}!`;

const CONFIG = (dir: string, adminPort: number) => `state_dir: ${join(dir, 'state')}
admin: { listen: "127.0.0.1:${adminPort}" }
sources:
  app: { type: file, include: ["${join(dir, 'app.log')}"] }
sinks:
  out: { type: file, path: ${join(dir, 'out.jsonl')}, fsync: false }
rules:
  - name: next
    when: { contains: "next line" }
    event: { name: Next, content: "{{body}}" }
    to: [out]
  - name: as
    when: { body: '^(a+)+$' }
    event: { name: As, content: "{{body}}" }
    to: [out]
  - name: words
    when: { body: '^(\\w+\\s?)+$' }
    event: { name: Words, content: "{{body}}" }
    to: [out]
`;

async function healthz(url: string): Promise<number> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return res.status;
}

describe('hostile rule regexes in a running agent (the installed command)', () => {
  const scratch = scratchDir('l2e-regex-');
  const log = join(scratch.dir, 'app.log');
  const out = join(scratch.dir, 'out.jsonl');
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let adminUrl = '';
  let stderr = '';

  beforeAll(async () => {
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    writeFileSync(log, '');
    const config = scratch.write('config.yaml', CONFIG(scratch.dir, adminPort));
    child = spawn(INSTALLED[0]!, ['run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('"msg":"started"')) resolve();
      });
      void exited.then((code) => reject(new Error(`exited ${code} before starting:\n${stderr}`)));
    });
  });

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    scratch.cleanup();
  });

  it('processes the lines after a hostile one while /healthz answers', async () => {
    appendFileSync(log, `${WORDS}\n${AS}\nnext line 1\nhello brave new world\n${'a'.repeat(12)}\n`);
    const events = await until(
      () => sinkEvents(out),
      (e) => e.length >= 3,
      'the events after the hostile lines',
      30_000,
    );
    expect(events.map((e) => e.content).sort()).toEqual(['a'.repeat(12), 'hello brave new world', 'next line 1']);
    expect(await healthz(adminUrl)).toBe(200);
  });

  it('drains on SIGTERM right after more hostile lines', async () => {
    appendFileSync(log, `${WORDS}\n${AS}\n${WORDS}\nnext line 2\n`);
    await until(
      () => sinkEvents(out),
      (e) => e.some((x) => x.content === 'next line 2'),
      'the line after the second hostile batch',
      30_000,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('hostile rule regexes in eval and at load', () => {
  const scratch = scratchDir('l2e-regex-eval-');
  afterAll(() => scratch.cleanup());

  it('eval answers at once on ^(a+)+$ against a long run of a', async () => {
    const config = scratch.write(
      'config.yaml',
      `sinks: { out: { type: stdout } }
rules:
  - name: as
    when: { body: '^(a+)+$' }
    event: { name: As }
    to: [out]
`,
    );
    const res = await runCli(['eval', '-c', config], { input: `${AS}\n${'a'.repeat(60)}!\n${'a'.repeat(5)}\n`, timeoutMs: 30_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('validate refuses nested quantifiers only where the linear-time engine cannot take over', async () => {
    const config = scratch.write(
      'bad.yaml',
      `sinks: { out: { type: stdout } }
rules:
  - name: backref
    when: { body: '^(\\w+\\s?)+\\1$' }
    event: { name: X }
    to: [out]
  - name: fine
    when: { body: '^(\\w+)\\s\\1$' }
    event: { name: Y }
    to: [out]
`,
    );
    const res = await runCli(['validate', '-c', config]);
    expect(res.code).not.toBe(0);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /bad\.yaml:4:\d+: .*regex can take exponential time: the repeated group `\(\\w\+\\s\?\)` contains a quantifier/,
    );
  });
});
