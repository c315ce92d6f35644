import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alibabaCredentialProvider,
  RefreshingProvider,
  REFRESH_MARGIN_MS,
  stsEndpoint,
} from '../../src/sinks/alibaba/credential-provider.ts';
import { EMULATOR_CREDENTIALS } from '../../src/emulator/credentials.ts';
import { verifyAcs3, verifyRpcV1 } from '../../src/emulator/alibaba-signature.ts';
import { CredentialFetchError, type TemporaryCredentials } from '../../src/sinks/alibaba/temporary-credentials.ts';
import { runCli, scratchDir } from '../helpers/cli.ts';
import { json, recordingServers, type RecordedRequest } from '../helpers/recording-server.ts';
import { cmsConfig, deadLetters, linesOf } from './cloud-harness.ts';

/**
 * Temporary credentials for `alibaba_cms`: RRSA (STS AssumeRoleWithOIDC) and the ECS RAM role
 * (instance metadata), driven through a real `log2events run` process against a fake STS, a fake
 * metadata service and a fake CloudMonitor, all on 127.0.0.1 and started and stopped here.
 */

/** Loopback servers (test/helpers/recording-server.ts), closed after each test. */
const fakeServer = recordingServers();

const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const temp = (n: number, expiresInMs: number) => ({
  AccessKeyId: `STS.KEY${n}`,
  AccessKeySecret: `temp-secret-${n}`,
  SecurityToken: `sec-token-${n}`,
  Expiration: isoIn(expiresInMs),
});

/** A fake CloudMonitor that verifies each request against the secrets it knows. */
async function fakeCms(secrets: Record<string, string>) {
  const seen: { accessKeyId: string; securityToken: string | undefined }[] = [];
  const server = await fakeServer((req, res) => {
    const secretFor = (ak: string) => secrets[ak];
    const auth = req.headers.authorization;
    let result;
    let token: string | undefined;
    if (typeof auth === 'string' && auth.startsWith('ACS3-')) {
      result = verifyAcs3({
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        body: Buffer.from(req.body),
        secretFor,
      });
      token = req.headers['x-acs-security-token'] as string | undefined;
    } else {
      const params = Object.fromEntries(new URLSearchParams(req.body));
      result = verifyRpcV1({ method: req.method, params, secretFor });
      token = params.SecurityToken;
    }
    if (!result.ok) return json(res, 400, { Code: result.code, Message: result.message });
    seen.push({ accessKeyId: result.accessKeyId, securityToken: token });
    json(res, 200, { Code: '200', Message: 'success', RequestId: 'r' });
  });
  return { ...server, seen };
}

const allSecrets = Object.fromEntries([1, 2, 3, 4].map((n) => [`STS.KEY${n}`, `temp-secret-${n}`]));

/** One event per request, one request at a time: each send asks the provider again. */
function config(dir: string, cmsUrl: string, auth = '', retry = '{ initial: 50ms, max: 200ms, max_elapsed: 30s }'): string {
  // No start-up check: these tests count every call the fake CloudMonitor gets, deliveries only.
  return cmsConfig(dir, { endpoint: cmsUrl, auth, batch: '{ linger: 20ms, max_entries: 1 }', retry, extra: 'check_at_start: false' });
}

const lines = (n: number) => linesOf(n, (i) => `ERROR order ${i} failed`);

/** No credentials from the machine running the tests leak into the agent. */
const CLEAN_ENV = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: '',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: '',
  ALIBABA_CLOUD_SECURITY_TOKEN: '',
  ALIBABA_CLOUD_ROLE_ARN: '',
  ALIBABA_CLOUD_OIDC_PROVIDER_ARN: '',
  ALIBABA_CLOUD_OIDC_TOKEN_FILE: '',
  ALIBABA_CLOUD_ROLE_SESSION_NAME: '',
  ALIBABA_CLOUD_STS_ENDPOINT: '',
  ALIBABA_CLOUD_STS_REGION: '',
  ALIBABA_CLOUD_ECS_METADATA: '',
  ALIBABA_CLOUD_ECS_METADATA_DISABLED: '',
  ALIBABA_CLOUD_IMDSV1_DISABLE: '',
};

function rrsaEnv(tokenFile: string, stsUrl: string): NodeJS.ProcessEnv {
  return {
    ...CLEAN_ENV,
    ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1234567890:role/log2events',
    ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1234567890:oidc-provider/ack-rrsa-c1',
    ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile,
    ALIBABA_CLOUD_ROLE_SESSION_NAME: 'agent-session',
    ALIBABA_CLOUD_STS_ENDPOINT: stsUrl,
  };
}

const stsForm = (r: RecordedRequest) => Object.fromEntries(new URLSearchParams(r.body));

describe('alibaba_cms with RRSA (STS AssumeRoleWithOIDC)', () => {
  it('signs with the temporary key and security token; an expiring credential is refreshed with the token file read again', async () => {
    const s = scratchDir();
    const tokenFile = s.write('token', 'oidc-token-1\n');
    let n = 0;
    const sts = await fakeServer((_req, res) => {
      n += 1;
      // The kubelet rotates the token: the next refresh must send the new content.
      writeFileSync(tokenFile, `oidc-token-${n + 1}\n`);
      // One minute left: inside the refresh margin, so the next send refreshes first.
      json(res, 200, { RequestId: 'x', Credentials: temp(n, 60_000) });
    });
    const cms = await fakeCms(allSecrets);
    const file = s.write('c.yaml', config(s.dir, cms.url));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(2), env: rrsaEnv(tokenFile, sts.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(cms.seen).toEqual([
      { accessKeyId: 'STS.KEY1', securityToken: 'sec-token-1' },
      { accessKeyId: 'STS.KEY2', securityToken: 'sec-token-2' },
    ]);
    expect(sts.requests).toHaveLength(2);
    const [first, second] = sts.requests;
    expect(first!.method).toBe('POST');
    expect(Object.fromEntries(first!.query)).toMatchObject({ Action: 'AssumeRoleWithOIDC', Version: '2015-04-01', Format: 'JSON' });
    // Anonymous: the OIDC token is the proof, nothing is signed.
    expect(first!.query.has('Signature') || first!.query.has('AccessKeyId') || 'AccessKeyId' in stsForm(first!)).toBe(false);
    expect(stsForm(first!)).toEqual({
      RoleArn: 'acs:ram::1234567890:role/log2events',
      OIDCProviderArn: 'acs:ram::1234567890:oidc-provider/ack-rrsa-c1',
      OIDCToken: 'oidc-token-1',
      RoleSessionName: 'agent-session',
      DurationSeconds: '3600',
    });
    expect(stsForm(second!).OIDCToken).toBe('oidc-token-2');
    expect(await deadLetters(file)).toEqual([]);
    s.cleanup();
  });

  it('keeps a credential that is far from expiry (one STS call for three requests), ACS3 carries x-acs-security-token', async () => {
    const s = scratchDir();
    const tokenFile = s.write('token', 'oidc-token-1');
    const sts = await fakeServer((_req, res) => json(res, 200, { Credentials: temp(3, 3_600_000) }));
    const cms = await fakeCms(allSecrets);
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, cms.url, 'signature: acs3')), '--once'], {
      input: lines(3),
      env: rrsaEnv(tokenFile, sts.url),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(sts.requests).toHaveLength(1);
    expect(cms.seen).toEqual(Array.from({ length: 3 }, () => ({ accessKeyId: 'STS.KEY3', securityToken: 'sec-token-3' })));
    s.cleanup();
  });

  it('an STS refusal is retryable (alibaba.credentials): the agent keeps running and dead-letters after max_elapsed with the STS message', async () => {
    const s = scratchDir();
    const tokenFile = s.write('token', 'oidc-token-1');
    const sts = await fakeServer((_req, res) =>
      json(res, 403, { Code: 'AuthenticationFail.OIDCToken.Invalid', Message: 'The OIDC token is invalid.' }),
    );
    const cms = await fakeCms(allSecrets);
    const file = s.write('c.yaml', config(s.dir, cms.url, '', '{ initial: 50ms, max: 100ms, max_elapsed: 600ms }'));
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(1), env: rrsaEnv(tokenFile, sts.url) });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(sts.requests.length).toBeGreaterThan(1);
    expect(cms.requests).toHaveLength(0);
    const dead = await deadLetters(file);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.code).toBe('alibaba.credentials');
    expect(dead[0]!.attempts).toBeGreaterThan(1);
    expect(dead[0]!.message).toMatch(/AssumeRoleWithOIDC failed \(HTTP 403\): AuthenticationFail\.OIDCToken\.Invalid/);
    s.cleanup();
  });

  it('a malformed STS answer is a clear retryable error; a later good answer delivers', async () => {
    const s = scratchDir();
    const tokenFile = s.write('token', 'oidc-token-1');
    const sts = await fakeServer((_req, res) => {
      if (sts.requests.length === 1) return json(res, 200, { Credentials: { AccessKeyId: 'STS.KEY1' } });
      json(res, 200, { Credentials: temp(2, 3_600_000) });
    });
    const cms = await fakeCms(allSecrets);
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, cms.url)), '--once'], {
      input: lines(1),
      env: rrsaEnv(tokenFile, sts.url),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(sts.requests).toHaveLength(2);
    expect(r.stderr).toMatch(/unexpected answer \(Credentials\.AccessKeySecret/);
    expect(cms.seen).toEqual([{ accessKeyId: 'STS.KEY2', securityToken: 'sec-token-2' }]);
    s.cleanup();
  });
});

describe('alibaba_cms with the ECS RAM role (instance metadata)', () => {
  const ROLE = 'log2events-role';

  async function fakeMetadata(answer: () => unknown) {
    return fakeServer((req, res) => {
      if (req.method === 'PUT' && req.path === '/latest/api/token') {
        if (req.headers['x-aliyun-ecs-metadata-token-ttl-seconds'] === undefined) return json(res, 400, { error: 'ttl header missing' });
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('md-session-token');
      }
      if (req.method === 'GET' && req.path === `/latest/meta-data/ram/security-credentials/${ROLE}`) {
        if (req.headers['x-aliyun-ecs-metadata-token'] !== 'md-session-token')
          return json(res, 401, { error: 'hardened mode: token required' });
        return json(res, 200, answer());
      }
      json(res, 404, { error: 'not found' });
    });
  }

  it('takes the role named in the config, in hardened mode (PUT /latest/api/token, then the token header)', async () => {
    const s = scratchDir();
    const md = await fakeMetadata(() => ({ Code: 'Success', LastUpdated: isoIn(0), ...temp(4, 3_600_000) }));
    const cms = await fakeCms(allSecrets);
    const extra = `ecs_ram_role: ${ROLE}\n    metadata_endpoint: ${md.url}`;
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, cms.url, extra)), '--once'], {
      input: lines(2),
      env: { ...CLEAN_ENV, ALIBABA_CLOUD_IMDSV1_DISABLE: 'true' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(cms.seen).toEqual(Array.from({ length: 2 }, () => ({ accessKeyId: 'STS.KEY4', securityToken: 'sec-token-4' })));
    expect(md.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'PUT /latest/api/token',
      `GET /latest/meta-data/ram/security-credentials/${ROLE}`,
    ]);
    expect(md.requests[0]!.headers['x-aliyun-ecs-metadata-token-ttl-seconds']).toMatch(/^\d+$/);
    s.cleanup();
  });

  it('takes the role from ALIBABA_CLOUD_ECS_METADATA; a metadata answer without Code Success is retryable and dead-letters as alibaba.credentials', async () => {
    const s = scratchDir();
    const md = await fakeMetadata(() => ({ Code: 'Failed', ...temp(4, 3_600_000) }));
    const cms = await fakeCms(allSecrets);
    const file = s.write(
      'c.yaml',
      config(s.dir, cms.url, `metadata_endpoint: ${md.url}`, '{ initial: 50ms, max: 100ms, max_elapsed: 600ms }'),
    );
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(1), env: { ...CLEAN_ENV, ALIBABA_CLOUD_ECS_METADATA: ROLE } });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(cms.requests).toHaveLength(0);
    const dead = await deadLetters(file);
    expect(dead.map((d) => d.code)).toEqual(['alibaba.credentials']);
    expect(dead[0]!.message).toMatch(/ECS RAM role log2events-role: unexpected answer \(Code/);
    s.cleanup();
  });
});

describe('alibaba credential chain order', () => {
  it('static config credentials win over RRSA and the ECS RAM role: neither STS nor metadata is asked', async () => {
    const s = scratchDir();
    const sts = await fakeServer((_req, res) => json(res, 200, { Credentials: temp(1, 3_600_000) }));
    const md = await fakeServer((_req, res) => json(res, 500, {}));
    const cms = await fakeCms({ LTAIconfig: 'config-secret' });
    const extra = `credentials: { access_key_id: LTAIconfig, access_key_secret: config-secret }\n    metadata_endpoint: ${md.url}`;
    const env = { ...rrsaEnv(s.write('token', 't'), sts.url), ALIBABA_CLOUD_ECS_METADATA: 'some-role' };
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, cms.url, extra)), '--once'], { input: lines(1), env });
    expect(r.code, r.stderr).toBe(0);
    expect(cms.seen).toEqual([{ accessKeyId: 'LTAIconfig', securityToken: undefined }]);
    expect(sts.requests).toHaveLength(0);
    expect(md.requests).toHaveLength(0);
    s.cleanup();
  });

  it('environment AccessKeys (with a security token) win over RRSA', async () => {
    const s = scratchDir();
    const sts = await fakeServer((_req, res) => json(res, 200, { Credentials: temp(1, 3_600_000) }));
    const cms = await fakeCms({ LTAIenv: 'env-secret' });
    const env = {
      ...rrsaEnv(s.write('token', 't'), sts.url),
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIenv',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret',
      ALIBABA_CLOUD_SECURITY_TOKEN: 'env-token',
    };
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, cms.url)), '--once'], { input: lines(1), env });
    expect(r.code, r.stderr).toBe(0);
    expect(cms.seen).toEqual([{ accessKeyId: 'LTAIenv', securityToken: 'env-token' }]);
    expect(sts.requests).toHaveLength(0);
    s.cleanup();
  });

  it('picks sources in order and never the metadata service unless a role is named', () => {
    const rrsa = { ALIBABA_CLOUD_ROLE_ARN: 'r', ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'p', ALIBABA_CLOUD_OIDC_TOKEN_FILE: '/t' };
    expect(alibabaCredentialProvider({}, { env: { ...rrsa, ALIBABA_CLOUD_ECS_METADATA: 'role' } }).source).toBe('rrsa');
    expect(alibabaCredentialProvider({}, { env: { ALIBABA_CLOUD_ECS_METADATA: 'role' } }).source).toBe('ecs_ram_role');
    expect(alibabaCredentialProvider({ ecs_ram_role: 'role' }, { env: {} }).source).toBe('ecs_ram_role');
    expect(() =>
      alibabaCredentialProvider({}, { env: { ALIBABA_CLOUD_ECS_METADATA: 'role', ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' } }),
    ).toThrow(/no credentials/);
    expect(() => alibabaCredentialProvider({}, { env: { ALIBABA_CLOUD_ROLE_ARN: 'r' } })).toThrow(/no credentials/);
    expect(alibabaCredentialProvider({}, { env: {}, emulator: EMULATOR_CREDENTIALS.alibaba }).source).toBe('emulator');
  });

  it('finds STS from sts_endpoint, ALIBABA_CLOUD_STS_ENDPOINT, ALIBABA_CLOUD_STS_REGION (+ VPC) or the central endpoint', () => {
    expect(stsEndpoint({ sts_endpoint: 'http://127.0.0.1:9/' }, { ALIBABA_CLOUD_STS_ENDPOINT: 'sts.x' })).toBe('http://127.0.0.1:9/');
    expect(stsEndpoint({}, { ALIBABA_CLOUD_STS_ENDPOINT: 'sts-vpc.cn-beijing.aliyuncs.com' })).toBe(
      'https://sts-vpc.cn-beijing.aliyuncs.com',
    );
    expect(stsEndpoint({}, { ALIBABA_CLOUD_STS_REGION: 'cn-hangzhou' })).toBe('https://sts.cn-hangzhou.aliyuncs.com');
    expect(stsEndpoint({}, { ALIBABA_CLOUD_STS_REGION: 'cn-hangzhou', ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED: 'true' })).toBe(
      'https://sts-vpc.cn-hangzhou.aliyuncs.com',
    );
    expect(stsEndpoint({}, {})).toBe('https://sts.aliyuncs.com');
  });
});

describe('RefreshingProvider', () => {
  const HOUR = 3_600_000;
  const creds = (n: number, expiresAt: number): TemporaryCredentials => ({
    accessKeyId: `K${n}`,
    accessKeySecret: `S${n}`,
    securityToken: `T${n}`,
    expiresAt,
  });

  it('makes one request for concurrent callers (single flight)', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const p = new RefreshingProvider('rrsa', async () => {
      calls += 1;
      await gate;
      return creds(calls, Date.now() + HOUR);
    });
    const waiting = Array.from({ length: 10 }, () => p.get());
    release();
    const got = await Promise.all(waiting);
    expect(calls).toBe(1);
    expect(new Set(got.map((c) => c.accessKeyId))).toEqual(new Set(['K1']));
  });

  it('refreshes inside the margin, keeps still-valid credentials when that fails, and errors once they expired', async () => {
    let clock = 0;
    let fail = false;
    let calls = 0;
    const p = new RefreshingProvider(
      'ecs_ram_role',
      async () => {
        calls += 1;
        if (fail) throw new CredentialFetchError('metadata down');
        return creds(calls, clock + HOUR);
      },
      { now: () => clock },
    );
    expect((await p.get()).accessKeyId).toBe('K1');
    clock = HOUR - REFRESH_MARGIN_MS - 1;
    expect((await p.get()).accessKeyId).toBe('K1');
    expect(calls).toBe(1);
    clock = HOUR - REFRESH_MARGIN_MS + 1;
    expect((await p.get()).accessKeyId).toBe('K2');
    expect(calls).toBe(2);
    fail = true;
    clock = 2 * HOUR - REFRESH_MARGIN_MS - 1000; // K2 expires at 2h - margin + 1: inside its margin, still valid
    const kept = await p.get();
    expect(kept).toEqual({ accessKeyId: 'K2', accessKeySecret: 'S2', securityToken: 'T2' });
    expect(calls).toBe(3);
    clock = 3 * HOUR;
    await expect(p.get()).rejects.toThrow(/metadata down/);
  });
});

describe('alibaba_cms credential config keys', () => {
  it('refuses credentials together with ecs_ram_role, and a metadata_endpoint that is not http(s)', async () => {
    const s = scratchDir();
    const both = config(s.dir, 'http://127.0.0.1:9', 'credentials: { access_key_id: a, access_key_secret: b }\n    ecs_ram_role: r');
    const r1 = await runCli(['validate', '-c', s.write('a.yaml', both)]);
    expect(r1.code).not.toBe(0);
    expect(r1.stdout + r1.stderr).toMatch(/give either credentials or ecs_ram_role, not both/);
    const r2 = await runCli([
      'validate',
      '-c',
      s.write('b.yaml', config(s.dir, 'http://127.0.0.1:9', 'ecs_ram_role: r\n    metadata_endpoint: ftp://x')),
    ]);
    expect(r2.code).not.toBe(0);
    expect(r2.stdout + r2.stderr).toMatch(/metadata_endpoint/);
    s.cleanup();
  });
});
