import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');

/**
 * The command a user runs: bin/log2events.js over its bundle, under its shebang's node flags
 * (plus `nodeFlags`). Without `bin`, this checkout's bundle is rebuilt first from the current
 * sources; with it, another build is measured as it is (A/B runs).
 */
export function installedCommand(bin: string | undefined, nodeFlags: string): { bin: string; nodeFlags: string[] } {
  if (!bin) {
    const bundle = spawnSync(process.execPath, [join(REPO, 'scripts/bundle.js')], { encoding: 'utf8' });
    if (bundle.status !== 0) throw new Error(`bundle failed:\n${bundle.stdout}${bundle.stderr}`);
  }
  const path = resolve(bin ?? join(REPO, 'bin/log2events.js'));
  const shebang = /^#!.*\bnode\b(.*)$/m.exec(readFileSync(path, 'utf8'))?.[1] ?? '';
  return { bin: path, nodeFlags: [...shebang.trim().split(/\s+/), ...nodeFlags.split(/\s+/)].filter(Boolean) };
}
