import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { MAIN, REPO, runCli, scratchDir, startCli } from '../helpers/cli.ts';
import { freePort, stdinConfig, until } from './helpers.ts';

/** stderr is one line, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe('start-up errors are one line', () => {
  it('names a busy admin port', async () => {
    const s = scratchDir('l2e-err-');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const file = stdinConfig(s, `admin: { listen: "127.0.0.1:${port}" }\n`);
      const r = await runCli(['run', '-c', file]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(
        new RegExp(`^log2events run: admin.listen 127.0.0.1:${port}: cannot listen: the address is already in use`),
      );
    } finally {
      busy.close();
      s.cleanup();
    }
  });

  it('names an unreadable TLS file', async () => {
    const s = scratchDir('l2e-err-');
    const file = s.write(
      'c.yaml',
      `state_dir: ${s.dir}/state
sources: { otlp: { type: otlp, http: { listen: "127.0.0.1:0", tls: { cert_file: ${s.dir}/missing.pem, key_file: ${s.dir}/missing.key } } } }
sinks: { out: { type: stdout } }
rules: [{ name: all, when: { contains: "x" }, event: { name: X, source: t }, to: [out] }]
`,
    );
    const r = await runCli(['run', '-c', file]);
    expect(r.code).toBe(1);
    // The engine had started: its "delivery stopped" line comes first; the error is the last line.
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^log2events run: .*tls\.cert_file: cannot read .*missing\.pem/);
    s.cleanup();
  });

  it('says which agent it waits for when the state_dir is locked, then starts once it is free', async () => {
    const s = scratchDir('l2e-err-');
    const file = stdinConfig(s);
    const first = await startCli(['run', '-c', file]);
    const second = spawn(process.execPath, [MAIN, 'run', '-c', file], { cwd: REPO, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    second.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const secondExited = new Promise<number | null>((r) => second.on('close', r));
    try {
      await until(() => err.includes('waiting for the agent'), 20_000, 'the waiting line');
      expect(err).toContain(`waiting for the agent with pid ${first.child.pid} to release ${s.dir}/state`);
      expect(err).not.toContain('"msg":"started"');
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      await until(() => err.includes('"msg":"started"'), 20_000, 'the second agent to start');
      second.kill('SIGTERM');
      expect(await secondExited).toBe(0);
    } finally {
      second.kill('SIGKILL');
      first.child.kill('SIGKILL');
      s.cleanup();
    }
  });

  it('places emulator config errors at file:line:col, every one of them', async () => {
    const s = scratchDir('l2e-err-');
    const file = s.write('emu.yaml', 'faults:\n  aws:\n    throttle: { probability: 2 }\n  gcp: {}\n');
    const r = await runCli(['emulator', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3:30: faults.aws.throttle.probability: Too big`);
    expect(r.stderr).toContain(`${file}:4:3: faults.gcp: unknown key "gcp"`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    s.cleanup();
  });
});

describe('validate', () => {
  it('reports every problem of a rule whose name is wrong', async () => {
    const s = scratchDir('l2e-err-');
    const file = s.write(
      'c.yaml',
      `state_dir: ${s.dir}/state
sources: { in: { type: stdin } }
sinks: { out: { type: stdout } }
rules:
  - name: "bad name!"
    when: { body: "unclosed (group" }
    event: { name: X, source: t, content: "{{ nope" }
    to: [out, missing]
`,
    );
    const r = await runCli(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain(`${file}:5:11: rules[0].name:`);
    expect(r.stderr + r.stdout).toContain(`${file}:6:19: rules[0].when.body: invalid regex`);
    expect(r.stderr + r.stdout).toContain(`${file}:7:43: rules[0].event.content: template`);
    expect(r.stderr + r.stdout).toContain(`${file}:8:15: rules[0].to[1]: unknown sink "missing"`);
    s.cleanup();
  });
});

describe('status and tap without a reachable agent', () => {
  it('say so in one line', async () => {
    const s = scratchDir('l2e-err-');
    const port = await freePort();
    const file = stdinConfig(s, `admin: { listen: "127.0.0.1:${port}" }\n`);
    for (const command of ['status', 'tap']) {
      const r = await runCli([command, '-c', file]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toBe(
        `log2events ${command}: cannot reach the agent's admin endpoint http://127.0.0.1:${port}: connection refused (is the agent running?)`,
      );
    }
    const noAdmin = await runCli(['status', '-c', stdinConfig(s)]);
    expect(noAdmin.code).toBe(2);
    expect(noAdmin.stderr).toContain('sets no admin.listen');
    s.cleanup();
  });
});
