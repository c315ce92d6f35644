import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTALLED, REPO, runCli, scratchDir } from '../helpers/cli.ts';

describe('the quick start (npm run example)', () => {
  it.each([
    ['the sources', undefined],
    ['the installed command (the bundle npm ci builds, through the shebang of bin/log2events.js)', INSTALLED],
  ])(
    'reads the bundled log, delivers its events to the file sink and to the four emulated clouds, and exits: %s',
    async (_name, command) => {
      const s = scratchDir();
      cpSync(join(REPO, 'config.example.yaml'), join(s.dir, 'config.example.yaml'));
      cpSync(join(REPO, 'examples/logs'), join(s.dir, 'examples/logs'), { recursive: true });
      const r = await runCli(['run', '-c', 'config.example.yaml', '--emulator', '--once'], {
        cwd: s.dir,
        env: { ADMIN_LISTEN: '127.0.0.1:0', OTLP_HTTP_LISTEN: '127.0.0.1:0', OTLP_GRPC_LISTEN: '127.0.0.1:0' },
        ...(command ? { command } : {}),
      });
      expect(r.code, r.stderr).toBe(0);
      const events = readFileSync(join(s.dir, '.log2events-example/events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events.map((e) => `${e.rule}: ${e.content}`)).toEqual([
        'payment_failed: payment failed for order 41',
        'payment_failed: payment failed for order 42',
        'disk_full: disk /dev/sda1 at 91%',
        'disk_recovered: disk /dev/sda1 recovered',
      ]);
      expect(r.stderr).toMatch(
        /"msg":"delivery summary","sinks":\{"events_file":\{"delivered":4,"retries":0,"dead_letters":0\},"aws":\{"delivered":4,/,
      );
      const summary = JSON.parse(r.stderr.split('\n').find((l) => l.includes('"emulator summary"'))!).stats;
      expect({
        aws: summary.aws.accepted,
        ces: summary.ces.accepted,
        aom: summary.aom.accepted,
        alibaba: summary.alibaba.accepted,
      }).toEqual({ aws: 4, ces: 2, aom: 2, alibaba: 2 });
      expect(r.stderr).not.toMatch(/"dead_letters":[1-9]/);
      s.cleanup();
    },
  );
});
