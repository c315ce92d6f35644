import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EMULATOR_CREDENTIALS, startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli, scratchDir, startCli } from '../helpers/cli.ts';

/**
 * The sinks' start-up check: each cloud sink proves its endpoint and credentials with the
 * provider's harmless read call, against one emulator. `validate --check-sinks` exits 1 naming
 * every failing sink with the provider's code and message; `run` warns and keeps running.
 */
let emu: RunningEmulator;
const s = scratchDir();
const { aws, huawei, alibaba } = EMULATOR_CREDENTIALS;

/** The four cloud sinks and a stdout sink; `wrong` is appended to every secret. */
function config(wrong: string, extra = ''): string {
  const url = emu.url;
  return `state_dir: ${s.dir}/state${wrong ? '-bad' : ''}
sources: { in: { type: stdin } }
sinks:
  bus: { type: aws_eventbridge, region: ${aws.region}, endpoint: "${url}", event_bus: orders, credentials: { access_key_id: ${aws.accessKeyId}, secret_access_key: "${aws.secretAccessKey}${wrong}" }${extra} }
  eye: { type: huawei_ces, region: cn-north-4, project_id: ${huawei.projectId}, endpoint: "${url}", credentials: { ak: ${huawei.ak}, sk: "${huawei.sk}${wrong}" }${extra} }
  aom: { type: huawei_aom, region: cn-north-4, project_id: ${huawei.projectId}, endpoint: "${url}", credentials: { ak: ${huawei.ak}, sk: "${huawei.sk}${wrong}" }${extra} }
  cms: { type: alibaba_cms, endpoint: "${url}", credentials: { access_key_id: ${alibaba.accessKeyId}, access_key_secret: "${alibaba.accessKeySecret}${wrong}" }${extra} }
  out: { type: stdout }
rules: []
`;
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emu.close();
  s.cleanup();
});

describe('sink checks', () => {
  it('validate --check-sinks passes every cloud sink with the right credentials and skips the others', async () => {
    const r = await runCli(['validate', '-c', s.write('good.yaml', config('')), '--check-sinks']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('sink "bus" (aws_eventbridge): DescribeEventBus ok');
    expect(r.stdout).toContain('sink "eye" (huawei_ces): ListEvents ok');
    expect(r.stdout).toContain('sink "aom" (huawei_aom): ListEvents ok');
    expect(r.stdout).toContain('sink "cms" (alibaba_cms): DescribeCustomEventAttribute ok');
    expect(r.stdout).toContain('sink "out" (stdout): skipped, not a cloud sink');
  }, 60_000);

  it("validate --check-sinks exits 1 naming each sink with wrong credentials and the provider's error", async () => {
    const rejectedBefore = emu.stats();
    const r = await runCli(['validate', '-c', s.write('bad.yaml', config('-wrong')), '--check-sinks']);
    expect(r.code, r.stdout).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.find((l) => l.startsWith('sink "bus"'))).toMatch(
      /^sink "bus" \(aws_eventbridge\): DescribeEventBus failed: InvalidSignatureException \(HTTP 400\): .*signature/,
    );
    expect(lines.find((l) => l.startsWith('sink "eye"'))).toMatch(
      /^sink "eye" \(huawei_ces\): ListEvents failed: APIGW\.0301: Incorrect IAM authentication information: .*\(HTTP 401\)$/,
    );
    expect(lines.find((l) => l.startsWith('sink "aom"'))).toMatch(
      /^sink "aom" \(huawei_aom\): ListEvents failed: APIGW\.0301: Incorrect IAM authentication information: .*\(HTTP 401\)$/,
    );
    expect(lines.find((l) => l.startsWith('sink "cms"'))).toMatch(
      /^sink "cms" \(alibaba_cms\): DescribeCustomEventAttribute failed: SignatureDoesNotMatch: .*\(HTTP 400/,
    );
    expect(lines.at(-1)).toBe('4 of 4 sink check(s) failed');
    expect(r.stdout).toContain('sink "out" (stdout): skipped');
    // The refusals came from the emulator's signature checks, one per provider.
    const after = emu.stats();
    expect(after.aws.rejected.InvalidSignatureException ?? 0).toBe((rejectedBefore.aws.rejected.InvalidSignatureException ?? 0) + 1);
    expect(after.alibaba.rejected.SignatureDoesNotMatch ?? 0).toBe((rejectedBefore.alibaba.rejected.SignatureDoesNotMatch ?? 0) + 1);
  }, 60_000);

  it('run warns at start for each sink whose check fails, and keeps running; check_at_start: false skips it', async () => {
    const started = await startCli(['run', '-c', s.write('run-bad.yaml', config('-wrong'))]);
    try {
      await vi.waitFor(() => expect(started.stderr().match(/"msg":"sink check failed/g) ?? []).toHaveLength(4), {
        timeout: 30_000,
        interval: 100,
      });
      const warnings = started
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"sink check failed'))
        .map((l) => JSON.parse(l) as { level: string; sink: string; call: string; code: string; error: string });
      expect(warnings.map((w) => [w.level, w.sink, w.code]).sort()).toEqual([
        ['warn', 'aom', 'APIGW.0301'],
        ['warn', 'bus', 'InvalidSignatureException'],
        ['warn', 'cms', 'SignatureDoesNotMatch'],
        ['warn', 'eye', 'APIGW.0301'],
      ]);
      expect(started.child.exitCode).toBeNull();
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
    }
    // With the check off, the same wrong credentials start without a check (deliveries would fail).
    const quiet = await runCli(['run', '-c', s.write('run-off.yaml', config('-wrong', ', check_at_start: false')), '--once']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain('sink check');
  }, 90_000);
});
