import { appendFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MAIN, REPO, scratchDir, startCli } from '../helpers/cli.ts';
import { adminOf, fileConfig, freePort, until } from './helpers.ts';

describe('log2events tap', () => {
  it('shows the events the rules make while a file is appended, and their delivery, filtered by rule', { timeout: 60_000 }, async () => {
    const s = scratchDir('l2e-tap-');
    const log = s.write('app.log', '');
    const file = fileConfig(
      s,
      log,
      `  - { name: errors, when: { contains: "ERROR" }, event: { name: AppError, source: app, content: "{{body}}" }, to: [out] }
  - { name: warnings, when: { contains: "WARN" }, event: { name: AppWarning, source: app }, to: [out] }
`,
      '',
      await freePort(),
    );
    const agent = await startCli(['run', '-c', file]);
    // The admin endpoint is found through the config file.
    const tap = spawn(process.execPath, [MAIN, 'tap', '-c', file, '--rule', 'errors', '--limit', '6'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    tap.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => tap.on('close', r));
    try {
      // The tap connects asynchronously: append until it has seen its 6 items and exits.
      let n = 0;
      const feed = setInterval(() => appendFileSync(log, `ERROR boom ${++n}\nWARN meh\n`), 100);
      const code = await exited.finally(() => clearInterval(feed));
      expect(code).toBe(0);
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(6);
      expect(out).toMatch(/ event +errors AppError id=\S+ from app to out: ERROR boom \d+/);
      expect(out).toMatch(/ delivered +out errors id=\S+/);
      expect(out).not.toContain('warnings');
    } finally {
      tap.kill('SIGKILL');
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      s.cleanup();
    }
  });

  it('never slows the agent: a reader that does not read loses items, not the agent its pace', async () => {
    const s = scratchDir('l2e-tap-');
    const log = s.write('app.log', '');
    const file = fileConfig(
      s,
      log,
      `  - { name: errors, when: { contains: "ERROR" }, event: { name: AppError, source: app, content: "{{body}} padding padding padding padding" }, to: [out] }\n`,
    );
    const agent = await startCli(['run', '-c', file]);
    const admin = adminOf(agent.stderr());
    // A reader that connects and then never reads.
    const res = await fetch(`${admin}/tap`);
    const reader = res.body!.getReader();
    await reader.read();
    try {
      const lines = 30_000;
      let text = '';
      for (let i = 0; i < lines; i++) text += `ERROR line ${i}\n`;
      appendFileSync(log, text);
      await until(
        async () => (await (await fetch(`${admin}/metrics`)).text()).includes(`log2events_delivered_total{sink="out"} ${lines}`),
        60_000,
        'every event delivered',
      );
      // What the reader missed is announced when it reads again.
      let seen = '';
      while (!seen.includes('"type":"dropped"')) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      expect(seen).toMatch(/"type":"dropped","time":"[^"]+","count":\d+/);
    } finally {
      await reader.cancel();
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      s.cleanup();
    }
  }, 90_000);
});
