import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText, loadConfigFile } from '../../src/agent/load-config.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';

const scratch = scratchDir();
afterEach(() => undefined);

function errorsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = loadConfigText(text, 'cfg.yaml', { env });
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.errors;
}

describe('config loading', () => {
  it('reports every mistake at once, each as file:line:col: path: message', () => {
    const errors = errorsOf(`state_dir: ./state
sources:
  in: { type: stdin, colour: blue }
sinks:
  out: { type: stdout, batch: { linger: soon } }
rules:
  - name: a
    when: { body: 'order (\\d+' }
    event: { name: X, content: "{{order}}" }
    to: [nowhere]
`);
    expect(errors).toEqual([
      expect.stringMatching(/^cfg\.yaml:3:22: sources\.in\.colour: unknown key "colour"$/),
      expect.stringMatching(/^cfg\.yaml:5:41: sinks\.out\.batch\.linger: invalid duration "soon"/),
      expect.stringMatching(/^cfg\.yaml:8:19: rules\[0\]\.when\.body: invalid regex: .*Unterminated group/),
      expect.stringMatching(/^cfg\.yaml:9:32: rules\[0\]\.event\.content: template "\{\{order\}\}": unknown reference "order"/),
      expect.stringMatching(/^cfg\.yaml:10:10: rules\[0\]\.to\[0\]: unknown sink "nowhere" \(defined: out\)$/),
    ]);
  });

  it('rejects duplicate keys with their position', () => {
    const errors = errorsOf(`sinks:
  out: { type: stdout }
  out: { type: stdout }
`);
    expect(errors).toEqual(['cfg.yaml:3:3: sinks.out: duplicate key "out" (first defined at line 2)']);
  });

  it('points YAML syntax errors at their line', () => {
    const errors = errorsOf(`rules:\n  - name: [unclosed\n`);
    expect(errors[0]).toMatch(/^cfg\.yaml:\d+:\d+: /);
  });

  it('substitutes ${VAR}, ${VAR:-default} and ${file:/path} inside values', () => {
    const secret = scratch.write('secret', 'hunter2\n');
    const r = loadConfigText(
      `state_dir: "\${STATE:-/var/lib/x}"
sources: { in: { type: stdin } }
sinks: { out: { type: file, path: "\${OUT}/events-\${file:${secret}}.jsonl" } }
`,
      'cfg.yaml',
      { env: { OUT: '/data' } },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.state_dir).toBe('/var/lib/x');
    const out = r.config.sinks.get('out');
    expect(out?.type === 'file' && out.options.path).toBe('/data/events-hunter2.jsonl');
  });

  it('names a missing variable and where it is used', () => {
    const errors = errorsOf(`sinks: { out: { type: file, path: "\${NOPE}" } }\n`);
    expect(errors).toEqual([expect.stringMatching(/^cfg\.yaml:1:35: sinks\.out\.path: environment variable NOPE is not set/)]);
  });

  it('rejects unknown source and sink types with the known ones', () => {
    const errors = errorsOf(`sources: { a: { type: kafka } }\nsinks: { b: { type: s3 } }\n`);
    expect(errors[0]).toMatch(/sources\.a\.type: unknown type "kafka" \(one of .*stdin/);
    expect(errors[1]).toMatch(/sinks\.b\.type: unknown type "s3" \(one of .*file/);
  });

  it('gives an unreadable file as one line', () => {
    const r = loadConfigFile('/definitely/not/here.yaml');
    expect(r).toEqual({ ok: false, errors: ['/definitely/not/here.yaml: cannot read config: no such file'] });
  });

  it('reads ${file:...} relative to the config file', () => {
    scratch.write('token.txt', 's3cr3t\n');
    const p = scratch.write(
      'rel.yaml',
      'sinks: { out: { type: http, url: "http://127.0.0.1:9/x", headers: { authorization: "Bearer ${file:token.txt}" } } }\n',
    );
    const r = loadConfigFile(p);
    const out = r.ok ? r.config.sinks.get('out') : undefined;
    expect(out?.type === 'http' && out.options.headers).toEqual({ authorization: 'Bearer s3cr3t' });
  });

  it('resolves state_dir relative to the config file', () => {
    const p = scratch.write('c.yaml', 'state_dir: st\n');
    const r = loadConfigFile(p);
    expect(r.ok && r.config.state_dir).toBe(`${scratch.dir}/st`);
  });
});

describe('config loading: hostile files', () => {
  it('refuses an alias bomb at the alias, without expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const errors = errorsOf(`${levels.join('\n')}\nsinks: { out: { type: stdout } }\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^cfg\.yaml:\d+:\d+: YAML aliases expand this config to more than 100,000 values \(\*\w alone stands for [\d,]+\): refused as an alias bomb$/,
    );
  });

  it('log2events validate answers an alias bomb with one located line, not a stack trace', async () => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh'])
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const file = scratch.write('bomb.yaml', `${levels.join('\n')}\nsinks: { out: { type: stdout } }\n`);
    const res = await runCli(['validate', '-c', file]);
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/bomb\.yaml:\d+:\d+: YAML aliases expand this config to more than 100,000 values/);
    expect(res.stderr).not.toMatch(/Error| {4}at /);
  });

  it('keeps small aliases working', () => {
    const shared = loadConfigText(`sinks:\n  a: &sink { type: stdout }\n  b: *sink\n`, 'cfg.yaml');
    expect(shared.ok ? [...shared.config.sinks.keys()] : shared.errors).toEqual(['a', 'b']);
  });

  it('refuses names every object already has, as sources, sinks and rules, and in to:/from:', () => {
    const errors = errorsOf(`__proto__: { state_dir: /tmp/x }
sources:
  __proto__: { type: stdin }
  toString: { type: stdin }
  app: { type: stdin }
sinks:
  hasOwnProperty: { type: stdout }
  out: { type: stdout }
rules:
  - name: constructor
    event: { name: X }
    to: [out]
  - name: r
    from: [hasOwnProperty, app]
    event: { name: X }
    to: [toString, out]
`);
    expect(errors).toEqual([
      'cfg.yaml:1:1: __proto__: unknown key "__proto__" (top-level keys: state_dir, log_level, admin, delivery, kubernetes, sources, sinks, rules, tests)',
      expect.stringMatching(/^cfg\.yaml:3:3: sources\.__proto__: "__proto__" is a name every JavaScript object already has/),
      expect.stringMatching(/^cfg\.yaml:4:3: sources\.toString: "toString" is a name/),
      expect.stringMatching(/^cfg\.yaml:7:3: sinks\.hasOwnProperty: "hasOwnProperty" is a name/),
      expect.stringMatching(/^cfg\.yaml:10:11: rules\[0\]\.name: "constructor" is a name/),
      'cfg.yaml:14:12: rules[1].from[0]: unknown source "hasOwnProperty" (defined: app)',
      'cfg.yaml:16:10: rules[1].to[0]: unknown sink "toString" (defined: out)',
    ]);
  });

  it('reads ${file:...} only from a regular file of at most 1 MiB', () => {
    const big = scratch.write('big.txt', 'x'.repeat(1024 * 1024 + 1));
    const errors = errorsOf(`sinks:
  a: { type: http, url: "http://127.0.0.1:1/", headers: { x: "\${file:/dev/zero}" } }
  b: { type: http, url: "http://127.0.0.1:1/", headers: { x: "\${file:${big}}" } }
  c: { type: http, url: "http://127.0.0.1:1/", headers: { x: "\${file:${scratch.dir}}" } }
`);
    expect(errors).toEqual([
      'cfg.yaml:2:62: sinks.a.headers.x: cannot read /dev/zero for ${file:...}: not a regular file',
      `cfg.yaml:3:62: sinks.b.headers.x: cannot read ${big} for \${file:...}: larger than 1 MiB (1048577 bytes)`,
      `cfg.yaml:4:62: sinks.c.headers.x: cannot read ${scratch.dir} for \${file:...}: not a regular file`,
    ]);
  });
});
