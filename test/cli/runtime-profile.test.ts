import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentProfile, LEAN_FLAGS, relaunch, wantedProfile } from '../../src/cli/runtime-profile.ts';
import { INSTALLED, REPO, runOnceProfile, scratchDir } from '../helpers/cli.ts';

const FILE_ONLY = `
sources:
  app: { type: file, include: ["/var/log/app.log"] }   # not otlp
sinks: { out: { type: stdout } }
rules:
  - name: r
    when: { contains: "otlp" }
    event: { name: X }
    to: [out]
`;
const OTLP_BLOCK = `
sources:
  otel:
    type: otlp
    http: { listen: "127.0.0.1:4318" }
sinks: { out: { type: stdout } }
`;
const OTLP_FLOW_QUOTED = `sources: { app: { type: file, include: [a.log] }, otel: { type: "otlp" } }\n`;

const configs: Record<string, string> = {
  'file.yaml': FILE_ONLY,
  'otlp.yaml': OTLP_BLOCK,
  'flow.yaml': OTLP_FLOW_QUOTED,
  'broken.yaml': 'sources: [otlp\n',
};
const read = (path: string): string => {
  const text = configs[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};

describe('runtime profile: the V8 settings the installed command runs with', () => {
  it('runs an agent that only tails files lean, and one that receives OTLP with V8 defaults', async () => {
    expect(await wantedProfile(['run', '-c', 'file.yaml'], {}, read)).toBe('lean');
    expect(await wantedProfile(['run', '-c', 'otlp.yaml', '--once'], {}, read)).toBe('throughput');
    expect(await wantedProfile(['run', '--config=flow.yaml'], {}, read)).toBe('throughput');
    // "otlp" in a comment or a rule does not count; what cannot be read or parsed is for `run` to report
    expect(await wantedProfile(['run', '-c', 'broken.yaml'], {}, read)).toBe('lean');
    expect(await wantedProfile(['run', '-c', 'missing.yaml'], {}, read)).toBe('lean');
  });

  it('leaves the short commands as they started, runs the emulator with V8 defaults, and obeys LOG2EVENTS_RUNTIME', async () => {
    expect(await wantedProfile(['validate', '-c', 'otlp.yaml'], {}, read)).toBeUndefined();
    expect(await wantedProfile(['emulator'], {}, read)).toBe('throughput');
    expect(await wantedProfile(['run', '-c', 'otlp.yaml'], { LOG2EVENTS_RUNTIME: 'lean' }, read)).toBe('lean');
    expect(await wantedProfile(['run', '-c', 'file.yaml'], { LOG2EVENTS_RUNTIME: 'throughput' }, read)).toBe('throughput');
  });

  it('replaces the process only when the profile differs, keeps other node flags, and never twice', async () => {
    const lean = [...LEAN_FLAGS, '--enable-source-maps'];
    expect(currentProfile(lean)).toBe('lean');
    expect(currentProfile(['--enable-source-maps'])).toBe('throughput');
    expect(await relaunch(['run', '-c', 'file.yaml'], {}, lean, read)).toBeUndefined();
    const toThroughput = await relaunch(['run', '-c', 'otlp.yaml'], { HOME: '/h' }, lean, read);
    expect(toThroughput).toMatchObject({ profile: 'throughput', execArgv: ['--enable-source-maps'] });
    expect(toThroughput!.env.HOME).toBe('/h');
    // `node bin/log2events.js run` (no flags) on a file-only config becomes lean
    expect(await relaunch(['run', '-c', 'file.yaml'], {}, [], read)).toMatchObject({ profile: 'lean', execArgv: LEAN_FLAGS });
    // the replaced process does not replace itself again, whatever it finds
    expect(await relaunch(['run', '-c', 'otlp.yaml'], toThroughput!.env, lean, read)).toBeUndefined();
  });

  it('starts from the shebang of bin/log2events.js with exactly the lean flags', () => {
    const shebang = readFileSync(join(REPO, 'bin/log2events.js'), 'utf8').split('\n')[0]!;
    expect(shebang.replace(/^#!\/usr\/bin\/env -S node /, '').split(' ')).toEqual(LEAN_FLAGS);
  });

  it.each([
    ['a file-only config: lean, as started', 'file', 'lean'],
    ['an OTLP config: replaced in place by a node with V8 defaults', 'otlp', 'throughput'],
  ])('the installed command, %s', async (_name, kind, profile) => {
    const s = scratchDir();
    const r = await runOnceProfile(INSTALLED[0]!, s.dir, kind as 'file' | 'otlp');
    expect(r.code, r.stderr).toBe(0);
    // execve: the same process (PID, stdio) went on with other V8 flags
    expect(r.started).toMatchObject({ runtime: profile, pid: r.childPid });
    s.cleanup();
  });
});
