import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, scratchDir } from '../helpers/cli.ts';

describe('examples/sdk-exporter.ts', () => {
  const scratch = scratchDir('l2e-sdk-example-');
  afterEach(() => scratch.cleanup());

  it('runs and prints the event its error log became', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPO, 'examples/sdk-exporter.ts')], {
      cwd: REPO,
      env: { ...process.env, LOG2EVENTS_EXAMPLE_DIR: scratch.dir },
    });
    const events = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.name, e.content])).toEqual([['PaymentFailed', 'order 1002 failed on checkout']]);
  });
});
