import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, scratchDir } from '../helpers/cli.ts';

describe('log2events eval', () => {
  it('prints the mapped event for a matching line', async () => {
    const r = await runCli(['eval', '-c', 'config.example.yaml'], {
      input: '2026-11-24T10:00:00Z ERROR payment failed for order 42\nnothing here\n',
    });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      rule: 'payment_failed',
      name: 'PaymentFailed',
      source: 'shop.payments',
      severity: 'Major',
      content: 'payment failed for order 42',
      time: Date.parse('2026-11-24T10:00:00Z'),
      resource: { id: 'order-42' },
    });
  });

  it('survives binary garbage and invalid UTF-8 on stdin', async () => {
    const garbage = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]),
      Buffer.alloc(70_000, 0x80),
      Buffer.from('\nERROR payment failed for order 9 \xff\n', 'latin1'),
    ]);
    const r = await runCli(['eval', '-c', 'config.example.yaml'], { input: garbage });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.content)).toEqual(['payment failed for order 9']);
  });
});

describe('log2events run', () => {
  it('survives binary garbage on stdin and still delivers the lines that match', async () => {
    const s = scratchDir();
    const file = s.write(
      'c.yaml',
      `state_dir: ${s.dir}/state\nsources: { in: { type: stdin } }\nsinks: { out: { type: file, path: ${s.dir}/out.jsonl } }\nrules:\n  - { name: e, when: { contains: PAYMENT }, event: { name: E, content: "{{body}}" }, to: [out] }\n`,
    );
    const garbage = Buffer.concat([
      Buffer.from([0, 0xff, 0xfe, 0x0a, 0xc3]),
      Buffer.alloc(3_000_000, 0xa7),
      Buffer.from('\nPAYMENT \xe9t\xe9\n', 'latin1'),
    ]);
    const r = await runCli(['run', '-c', file, '--once'], { input: garbage });
    expect(r.code, r.stderr).toBe(0);
    const out = readFileSync(`${s.dir}/out.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { content: string });
    expect(out.map((e) => e.content)).toEqual(['PAYMENT \ufffdt\ufffd']);
    s.cleanup();
  });
});

describe('log2events test', () => {
  it('passes the bundled rule tests', async () => {
    const r = await runCli(['test', '-c', 'config.example.yaml']);
    expect(r.stdout).toContain('5 rule test(s): 5 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('fails a wrong expectation with a readable diff', async () => {
    const s = scratchDir();
    const tests = s.write(
      'tests.yaml',
      `- name: wrong order number\n  input: "ERROR payment failed for order 42"\n  expect: [{ name: PaymentFailed, content: "payment failed for order 43" }]\n`,
    );
    const r = await runCli(['test', '-c', 'config.example.yaml', '--tests', tests]);
    s.cleanup();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL wrong order number');
    expect(r.stdout).toContain(
      'events[0].content\n      expected: "payment failed for order 43"\n      actual:   "payment failed for order 42"',
    );
    expect(r.stdout).toContain('1 rule test(s): 0 passed, 1 failed');
  });
});

describe('log2events validate', () => {
  it('accepts the bundled example', async () => {
    const r = await runCli(['validate', '-c', 'config.example.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/config\.example\.yaml: ok/);
  });

  it('reports five distinct mistakes as five file:line:col errors in one run', async () => {
    const s = scratchDir();
    const file = s.write(
      'bad.yaml',
      `state_dir: [not, a, string]
sources:
  in: { type: stdin, bogus: true }
sinks:
  out: { type: stdout }
rules:
  - name: r1
    when: { body: 'broken(' }
    event: { name: E, content: "{{missing}}" }
    to: [nowhere]
`,
    );
    const r = await runCli(['validate', '-c', file]);
    s.cleanup();
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith(`${file}:`))).toHaveLength(5);
    expect(lines.at(-1)).toBe('5 problems found');
    expect(lines[0]).toMatch(new RegExp(`^${file}:1:12: state_dir: `));
  });

  it('gives an unreadable config file as a one-line error', async () => {
    const r = await runCli(['validate', '-c', '/no/such/config.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('/no/such/config.yaml: cannot read config: no such file\n');
  });
});

describe('command line', () => {
  it.each(['run', 'validate', 'test', 'eval', 'dlq', 'state', 'emulator', 'query'])('%s --help prints usage and exits 0', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: log2events /m);
  });

  it('rejects unknown flags with exit status 2', async () => {
    const r = await runCli(['validate', '-c', 'config.example.yaml', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--frobnicate'/);
  });

  it('rejects unknown commands', async () => {
    const r = await runCli(['launch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "launch"/);
  });
});
