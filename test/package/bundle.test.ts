import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, scratchDir } from '../helpers/cli.ts';

/**
 * scripts/bundle.js, which `npm run build` and the `prepare` script run. `npx log2events` in a
 * checkout runs `prepare` on first use while agents of that checkout may be running: a rebuild
 * must never leave a file they import missing or half written.
 */
describe('the CLI bundle rebuilt beside running agents (scripts/bundle.js)', () => {
  const s = scratchDir('l2e-bundle-');
  const bundle = () => execFileSync(process.execPath, [join(REPO, 'scripts/bundle.js'), s.dir], { encoding: 'utf8' });
  const snapshot = () => new Map(readdirSync(s.dir).map((f) => [f, statSync(join(s.dir, f)).ino]));
  let first = new Map<string, number>();

  beforeAll(() => {
    bundle();
    first = snapshot();
  }, 60_000);
  afterAll(() => s.cleanup());

  it('rebuilds the same sources to the same files, left in place, and removes stale ones', () => {
    expect([...first.keys()]).toEqual(expect.arrayContaining(['start.js', 'main.js', 'package.json']));
    writeFileSync(join(s.dir, 'chunk-STALE000.js'), 'export {};\n');
    bundle();
    // The same inode: the file was never removed, renamed over or truncated.
    expect(snapshot()).toEqual(first);
  });

  it('replaces a changed file by renaming a complete one over it, with nothing left aside', () => {
    const main = join(s.dir, 'main.js');
    const built = readFileSync(main);
    writeFileSync(main, 'an older build\n');
    bundle();
    expect(readFileSync(main).equals(built)).toBe(true);
    expect(statSync(main).ino).not.toBe(first.get('main.js'));
    expect(readdirSync(s.dir).sort()).toEqual([...first.keys()].sort());
  });
});
