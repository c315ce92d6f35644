import { describe, expect, it } from 'vitest';
import { scratchDir, startCli } from '../helpers/cli.ts';

describe('admin endpoints of a running agent', () => {
  it('serves /healthz, /readyz, /metrics and /status, and drains on SIGTERM', async () => {
    const s = scratchDir();
    const file = s.write(
      'c.yaml',
      `state_dir: ${s.dir}/state
admin: { listen: "127.0.0.1:0" }
sources: { in: { type: stdin } }
sinks: { out: { type: file, path: ${s.dir}/out.jsonl } }
rules:
  - { name: errors, when: { severity: ">= ERROR" }, event: { name: AppError, source: app.logs }, to: [out] }
`,
    );
    const agent = await startCli(['run', '-c', file]);
    const admin = /"admin":"(http:[^"]+)"/.exec(agent.stderr())![1]!;
    agent.child.stdin!.write('ERROR one\nINFO two\nERROR three\n');

    expect(await (await fetch(`${admin}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
    let metrics = '';
    for (let i = 0; i < 50 && !/log2events_delivered_total\{sink="out"\} 2/.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(`${admin}/metrics`)).text();
    }
    expect(metrics).toMatch(/log2events_delivered_total\{sink="out"\} 2/);
    expect(metrics).toMatch(/log2events_rule_matches_total\{rule="errors"\} 2/);
    const status = (await (await fetch(`${admin}/status`)).json()) as {
      state: string;
      spool: { events: number };
      sinks: Record<string, unknown>;
    };
    expect(status.state).toBe('running');
    expect(status.spool.events).toBe(0);
    expect(Object.keys(status.sinks)).toEqual(['out']);
    expect((await fetch(`${admin}/nope`)).status).toBe(404);

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    s.cleanup();
  });
});
