import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { TargetWatches } from '../../src/sources/file/target-watches.ts';
import { scratchDir } from '../helpers/cli.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** containers/a.log and containers/b.log link to pods/p/0.log and pods/p/1.log; plain.log is a file. */
function layout() {
  const scratch = scratchDir('l2e-targets-');
  const pods = join(scratch.dir, 'pods', 'p');
  const containers = join(scratch.dir, 'containers');
  mkdirSync(pods, { recursive: true });
  mkdirSync(containers);
  for (const [link, target] of [
    ['a.log', '0.log'],
    ['b.log', '1.log'],
  ] as const) {
    writeFileSync(join(pods, target), '');
    symlinkSync(join(pods, target), join(containers, link));
  }
  writeFileSync(join(containers, 'plain.log'), '');
  const watches = new TargetWatches(() => true, silentLogger, new Set([containers]));
  cleanups.push(() => {
    watches.close();
    scratch.cleanup();
  });
  return { watches, containers, pods };
}

describe('TargetWatches: the directories of linked files are watched while a file follows them', () => {
  it('watches a target directory once for every link into it, and lets it go with the last', () => {
    const { watches, containers } = layout();
    watches.follow(join(containers, 'a.log'));
    watches.follow(join(containers, 'b.log'));
    expect(watches.size).toBe(1);
    watches.unfollow(join(containers, 'a.log'));
    expect(watches.size).toBe(1);
    watches.unfollow(join(containers, 'b.log'));
    expect(watches.size).toBe(0);
  });

  it('keeps the watch while a file that replaced another at the same path is followed (rotation)', () => {
    const { watches, containers } = layout();
    const link = join(containers, 'a.log');
    watches.follow(link); // the old file
    watches.follow(link); // the new one, while the old is drained
    watches.unfollow(link); // the old one let go
    expect(watches.size).toBe(1);
    watches.unfollow(link);
    expect(watches.size).toBe(0);
  });

  it('watches nothing for a plain file, a missing path, or a link into a directory already watched', () => {
    const { watches, containers, pods } = layout();
    watches.follow(join(containers, 'plain.log'));
    watches.follow(join(containers, 'missing.log'));
    symlinkSync(join(containers, 'plain.log'), join(containers, 'self.log'));
    watches.follow(join(containers, 'self.log'));
    expect(watches.size).toBe(0);
    // Unfollowing what was never watched is harmless.
    watches.unfollow(join(containers, 'plain.log'));
    watches.unfollow(join(pods, '0.log'));
    expect(watches.size).toBe(0);
  });
});
