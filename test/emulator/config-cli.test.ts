import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorCommand } from '../../src/cli/emulator.ts';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIO } from '../../src/cli/command.ts';
import {
  EmulatorConfigError,
  EMULATOR_CREDENTIALS,
  loadEmulatorConfig,
  parseEmulatorConfig,
  startEmulator,
} from '../../src/emulator/index.ts';
import { huaweiSdkFetch } from './vendor-clients.ts';

function captureIO(): CliIO & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return { stdin: new PassThrough(), stdout, stderr, out: () => out, err: () => err };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('emulator config', () => {
  it('defaults to the documented fake credentials and limits', () => {
    const c = parseEmulatorConfig({});
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 4580 });
    expect(c.credentials.aws).toEqual({
      access_key_id: EMULATOR_CREDENTIALS.aws.accessKeyId,
      secret_access_key: EMULATOR_CREDENTIALS.aws.secretAccessKey,
      region: 'us-east-1',
    });
    expect(c.credentials.huawei.ak).toBe(EMULATOR_CREDENTIALS.huawei.ak);
    expect(c.limits).toEqual({ aws: {}, alibaba: { max_events: 50 }, ces: { resource_groups: ['rg15221211517051YWWkEnVd'] }, aom: {} });
    expect(parseEmulatorConfig(c)).toEqual(c);
  });

  it('loads YAML with credentials, limits and faults, and the emulator honours them', async () => {
    const file = join(dir, 'emulator.yaml');
    await writeFile(
      file,
      [
        'listen: 127.0.0.1:0',
        'credentials:',
        '  huawei: { ak: MYAK, sk: my-secret }',
        'limits:',
        '  ces: { max_events: 1 }',
        'faults:',
        '  aws:',
        '    throttle: { probability: 0.25, retry_after: 2s }',
        '    entry_failure: { every: 3 }',
        '    latency: { min: 10ms, max: 20ms }',
        '    quota: { rps: 100 }',
      ].join('\n'),
    );
    const config = await loadEmulatorConfig(file);
    expect(config.faults.aws).toEqual({
      throttle: { probability: 0.25, retry_after: 2000 },
      entry_failure: { every: 3, codes: ['ThrottlingException', 'InternalFailure'] },
      latency: { min: 10, max: 20 },
      quota: { rps: 100 },
    });
    const emu = await startEmulator({ config });
    try {
      const project = EMULATOR_CREDENTIALS.huawei.projectId;
      const event = { event_name: 'a', event_source: 'b.c', time: Date.now(), detail: {} };
      const ok = await huaweiSdkFetch(emu.url, 'POST', `/V1.0/${project}/events`, { ak: 'MYAK', sk: 'my-secret', body: [event] });
      expect(ok.status).toBe(201);
      const tooMany = await huaweiSdkFetch(emu.url, 'POST', `/V1.0/${project}/events`, {
        ak: 'MYAK',
        sk: 'my-secret',
        body: [event, event],
      });
      expect(tooMany.status).toBe(400);
      const defaultKey = await huaweiSdkFetch(emu.url, 'POST', `/V1.0/${project}/events`, {
        ak: EMULATOR_CREDENTIALS.huawei.ak,
        sk: EMULATOR_CREDENTIALS.huawei.sk,
        body: [event],
      });
      expect(defaultKey.status).toBe(401);
    } finally {
      await emu.close();
    }
  });

  it('reports every problem with its path', () => {
    let error: unknown;
    try {
      parseEmulatorConfig({
        listen: 'nowhere',
        faults: { ces: { throttle: { probability: 3 } }, gcp: {} },
        limits: { alibaba: { max_events: 0 } },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EmulatorConfigError);
    const message = (error as Error).message;
    for (const path of ['listen', 'faults.ces.throttle.probability', 'faults', 'limits.alibaba.max_events'])
      expect(message).toContain(`${path}:`);
    expect(message).toContain('gcp');
  });
});

describe('log2events emulator command', () => {
  it('prints usage for --help', async () => {
    const io = captureIO();
    expect(await emulatorCommand(['--help'], io)).toBe(EXIT_OK);
    expect(io.out()).toContain('Usage: log2events emulator [--listen HOST:PORT] [--config FILE]');
  });

  it('fails with a one-line error for a missing or invalid config file', async () => {
    const io = captureIO();
    expect(await emulatorCommand(['--config', join(dir, 'missing.yaml')], io)).toBe(EXIT_USAGE);
    expect(io.err()).toMatch(/^log2events emulator: cannot read emulator config .*missing\.yaml: ENOENT\n$/);

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'faults:\n  aws:\n    throttle: { probability: yes }\n');
    const io2 = captureIO();
    expect(await emulatorCommand(['-c', bad], io2)).toBe(EXIT_USAGE);
    expect(io2.err().trim().split('\n')).toHaveLength(1);
    expect(io2.err()).toContain('faults.aws.throttle.probability');
  });

  it('rejects a bad --listen and unknown flags', async () => {
    const io = captureIO();
    expect(await emulatorCommand(['--listen', 'localhost'], io)).toBe(EXIT_USAGE);
    expect(io.err()).toContain('--listen');
    await expect(emulatorCommand(['--port', '1'], captureIO())).rejects.toBeInstanceOf(UsageError);
  });
});
