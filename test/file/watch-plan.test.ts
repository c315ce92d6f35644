import { describe, expect, it } from 'vitest';
import { watchPlan } from '../../src/sources/file/discovery.ts';

describe('watchPlan: which directories a file source watches, and how', () => {
  const cases: { include: string[]; singleDirs: string[]; bases: string[] }[] = [
    // Wildcards in the file name only: the one directory, watched directly.
    { include: ['/var/log/app.log'], singleDirs: ['/var/log'], bases: [] },
    { include: ['/var/log/containers/*.log'], singleDirs: ['/var/log/containers'], bases: [] },
    { include: ['/var/log/app-{a,b}.log', '/var/log/*.txt'], singleDirs: ['/var/log'], bases: [] },
    // Wildcards in a directory, or `**`: directories come and go, so chokidar follows the base.
    { include: ['/var/log/pods/*/*/*.log'], singleDirs: [], bases: ['/var/log/pods'] },
    { include: ['/var/log/**/*.log'], singleDirs: [], bases: ['/var/log'] },
    { include: ['/var/log/**'], singleDirs: [], bases: ['/var/log'] },
    { include: ['/srv/{a,b}/x.log'], singleDirs: [], bases: ['/srv'] },
    { include: ['/var/log/app.log', '/var/log/pods/*/*/*.log'], singleDirs: ['/var/log'], bases: ['/var/log/pods'] },
  ];
  for (const c of cases) {
    it(`${c.include.join(', ')} → direct ${JSON.stringify(c.singleDirs)}, chokidar ${JSON.stringify(c.bases)}`, () => {
      const plan = watchPlan(c.include);
      expect([...plan.singleDirs]).toEqual(c.singleDirs);
      expect([...plan.bases]).toEqual(c.bases);
    });
  }
});
