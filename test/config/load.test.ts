import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText, loadConfigFile } from '../../src/config/load.ts';
import { scratchDir } from '../helpers/cli.ts';

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
    expect(r.config.sinks.get('out')?.options.path).toBe('/data/events-hunter2.jsonl');
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
    const p = scratch.write('rel.yaml', 'sinks: { out: { type: http, url: "http://127.0.0.1:9/x", headers: { authorization: "Bearer ${file:token.txt}" } } }\n');
    const r = loadConfigFile(p);
    expect(r.ok && r.config.sinks.get('out')?.options.headers).toEqual({ authorization: 'Bearer s3cr3t' });
  });

  it('resolves state_dir relative to the config file', () => {
    const p = scratch.write('c.yaml', 'state_dir: st\n');
    const r = loadConfigFile(p);
    expect(r.ok && r.config.state_dir).toBe(`${scratch.dir}/st`);
  });
});
