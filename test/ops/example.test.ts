import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli, scratchDir } from '../helpers/cli.ts';

describe('npm run example (scripts/example.js)', () => {
  it('can be run again: each run starts fresh, binds no fixed port, and prints what each emulated provider holds', async () => {
    const s = scratchDir('l2e-example-');
    cpSync(join(REPO, 'config.example.yaml'), join(s.dir, 'config.example.yaml'));
    cpSync(join(REPO, 'examples/logs'), join(s.dir, 'examples/logs'), { recursive: true });
    const script = [process.execPath, join(REPO, 'scripts/example.js')];
    for (const run of [1, 2]) {
      const r = await runCli([], { cwd: s.dir, command: script, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      if (run === 2) expect(r.stderr).toContain('example: removed .log2events-example/ of the previous run');
      // Free ports, never the Collector's 4317/4318.
      expect(r.stderr).not.toMatch(/:431[78]\b/);
      expect(r.stdout).toContain('What each emulated provider holds:');
      expect(r.stdout).toMatch(/AWS EventBridge: 4 events\n +- PaymentFailed from shop\.payments/);
      expect(r.stdout).toMatch(/Alibaba CloudMonitor: 2 events\n +- PaymentFailed: payment failed for order 41/);
      expect(r.stdout).toContain('Huawei Cloud Eye: 2 events');
      expect(r.stdout).toMatch(/Huawei AOM: 2 events\n +- report DiskFull\n +- clear DiskFull/);
      expect(readFileSync(join(s.dir, '.log2events-example/events.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    }
    s.cleanup();
  }, 120_000);
});
