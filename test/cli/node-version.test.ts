import { execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTALLED, REPO, runCli } from '../helpers/cli.ts';

/**
 * The installed command on a machine whose Node.js is older than 24: the machine's own node
 * (the PATH without the project's node_modules/.bin, which npm and npx put first) is v20 on
 * this project's machines.
 */
const MACHINE_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((d) => !d.includes('node_modules'))
  .join(delimiter);
const machineNode = (() => {
  try {
    const version = execFileSync('node', ['--version'], { env: { ...process.env, PATH: MACHINE_PATH }, encoding: 'utf8' }).trim();
    return { version, major: Number(version.slice(1).split('.')[0]) };
  } catch {
    return undefined;
  }
})();
const old = machineNode !== undefined && machineNode.major < 24;
if (!old) console.warn(`node-version tests skipped: the PATH's node is ${machineNode?.version ?? 'missing'}, not older than 24`);

describe.skipIf(!old)(`the installed command where the PATH's node is ${machineNode?.version} (older than 24)`, () => {
  const env = { PATH: MACHINE_PATH };
  const oneLine = new RegExp(
    `^log2events needs Node\\.js >= 24; this is ${machineNode?.version.replace(/\./g, '\\.')}; [^\\n]*npx log2events[^\\n]*\\n$`,
  );

  it('node bin/log2events.js: one line that says what to do, exit 1, before any module needs Node 24', async () => {
    for (const args of [['--help'], ['version'], ['validate', '-c', 'config.example.yaml']]) {
      const r = await runCli(args, { env, command: ['node', join(REPO, 'bin/log2events.js')] });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(oneLine);
      expect(r.stdout).toBe('');
    }
  });

  it('bin/log2events.js run by its shebang: the same line (the lean profile flags are accepted by the old node)', async () => {
    const r = await runCli(['test', '-c', 'config.example.yaml'], { env, command: INSTALLED });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(oneLine);
  });

  it('npx log2events in the project runs the project’s own Node.js 24', async () => {
    // npx (the machine's npm, on its node) puts node_modules/.bin first on the PATH: the `node`
    // devDependency's Node.js 24 is what the shebang finds.
    const r = await runCli(['log2events', '--help'], { env: { ...env, npm_config_update_notifier: 'false' }, command: ['npx'] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^log2events \d+\.\d+\.\d+: turns log lines/);
    const v = await runCli(['log2events', 'validate', '-c', 'config.example.yaml'], { env, command: ['npx'] });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/config\.example\.yaml: ok/);
  });
});
