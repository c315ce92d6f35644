import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfigText } from '../../src/agent/load-config.ts';
import { EMULATOR_CREDENTIALS } from '../../src/emulator/index.ts';
import type { HttpCallResult } from '../../src/sinks/http-call.ts';
import { huaweiCall } from '../../src/sinks/huawei/client.ts';
import { huaweiConnectionShape } from '../../src/sinks/huawei/config.ts';
import {
  HuaweiCredentialError,
  REFRESH_AHEAD_MS,
  RefreshingCredentials,
  type TemporaryCredential,
} from '../../src/sinks/huawei/credential-provider.ts';
import { type HuaweiTarget, resolveHuaweiTarget } from '../../src/sinks/huawei/credentials.ts';
import type { EntryOutcome } from '../../src/sinks/sink.ts';
import { verifyHuaweiRequest } from '../../src/emulator/huawei-verify.ts';
import { scratchDir } from '../helpers/cli.ts';
import { runQuery } from '../helpers/query.ts';
import { json, recordingServers } from '../helpers/recording-server.ts';

/**
 * Temporary credentials for the Huawei sinks and `query`: CCE workload identity (id token file →
 * IAM → temporary AK/SK) and the ECS metadata service, against fake IAM and metadata servers and a
 * capture server standing in for Cloud Eye / AOM. All of them listen on 127.0.0.1, started and
 * stopped here. In-process: each target is resolved from a sink config as the sinks and `query`
 * resolve theirs, and called through the Huawei client they share.
 */

const HW = EMULATOR_CREDENTIALS.huawei;
const PROJECT = HW.projectId;

/** Loopback servers (test/helpers/recording-server.ts), closed after each test. */
const serve = recordingServers();

/** Temporary AK/SK number `n` as IAM or the metadata service hands it out. */
const temp = (n: number, prefix = 'TEMPAK') => ({ ak: `${prefix}${n}`, sk: `temp-secret-${prefix}-${n}`, token: `sec-${prefix}-${n}` });
const credentialBody = (c: { ak: string; sk: string; token: string }, expiresInMs: number) => ({
  // IAM's own format: microseconds and Z
  credential: {
    access: c.ak,
    secret: c.sk,
    securitytoken: c.token,
    expires_at: new Date(Date.now() + expiresInMs).toISOString().replace('Z', '000Z'),
  },
});

type Answer = 'ok' | { status: number; body: unknown } | 'malformed';

/**
 * Fake IAM: `POST /v3.0/OS-AUTH/id-token/tokens` → X-Subject-Token, then
 * `POST /v3.0/OS-CREDENTIAL/securitytokens` → temporary AK/SK number n (the n-th exchange).
 * `answer(n)` decides each exchange; `onExchange` runs after one (e.g. kubelet rotating the file).
 */
async function fakeIam(o: { expiresInMs?: number; answer?: (n: number) => Answer; onExchange?: (n: number) => void } = {}) {
  let exchanges = 0;
  const idTokens: { idp: string | undefined; token: string }[] = [];
  const server = await serve((req, res) => {
    if (req.method === 'POST' && req.path === '/v3.0/OS-AUTH/id-token/tokens') {
      const n = ++exchanges;
      const body = JSON.parse(req.body) as { auth: { id_token: { id: string } } };
      idTokens.push({ idp: req.headers['x-idp-id'] as string | undefined, token: body.auth.id_token.id });
      o.onExchange?.(n);
      const a = o.answer?.(n) ?? 'ok';
      if (typeof a === 'object') return json(res, a.status, a.body);
      return json(
        res,
        201,
        { token: { expires_at: new Date(Date.now() + 86_400_000).toISOString(), methods: ['mapped'] } },
        { 'X-Subject-Token': `iam-token-${n}-${a}` },
      );
    }
    if (req.method === 'POST' && req.path === '/v3.0/OS-CREDENTIAL/securitytokens') {
      const body = JSON.parse(req.body) as { auth: { identity: { methods: string[]; token: { id: string } } } };
      const [, n, mode] = /^iam-token-(\d+)-(\w+)$/.exec(body.auth.identity.token.id) ?? [];
      if (!n || body.auth.identity.methods[0] !== 'token')
        return json(res, 401, { error: { code: 401, message: 'The token is invalid', title: 'Unauthorized' } });
      if (mode === 'malformed') return json(res, 201, { credential: { access: 'only-an-ak' } });
      return json(res, 201, credentialBody(temp(Number(n)), o.expiresInMs ?? 3_600_000));
    }
    json(res, 404, { error_code: 'APIGW.0101', error_msg: 'no such API' });
  });
  return { ...server, idTokens, exchanges: () => exchanges };
}

/**
 * Fake ECS metadata service: `PUT /meta-data/latest/api/token` (or 405 when `session` is false),
 * `GET /openstack/latest/securitykey` → temporary AK/SK number n (the n-th GET that `answer` lets through).
 */
async function fakeMetadata(o: { session?: boolean; answer?: (n: number) => Answer } = {}) {
  let gets = 0;
  const server = await serve((req, res) => {
    if (req.method === 'PUT' && req.path === '/meta-data/latest/api/token') {
      if (o.session === false) return json(res, 405, { message: 'method not allowed' });
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('meta-session-token');
    }
    if (req.method === 'GET' && req.path === '/openstack/latest/securitykey') {
      if (o.session !== false && req.headers['x-metadata-token'] !== 'meta-session-token')
        return json(res, 401, { message: 'token required' });
      const n = ++gets;
      const a = o.answer?.(n) ?? 'ok';
      if (typeof a === 'object') return json(res, a.status, a.body);
      return json(res, 200, credentialBody(temp(n, 'METAAK'), 3_600_000));
    }
    json(res, 404, { message: 'not found' });
  });
  return { ...server, gets: () => gets };
}

/**
 * Stands in for Cloud Eye (201 with an event id per event) and AOM (204): checks the SDK-HMAC-SHA256 signature against
 * every AK/SK handed out here, and records the AK and X-Security-Token of each request.
 */
async function fakeCloud() {
  const secrets = new Map<string, string>([[HW.ak, HW.sk]]);
  for (let n = 1; n <= 20; n++) {
    for (const prefix of ['TEMPAK', 'METAAK']) secrets.set(temp(n, prefix).ak, temp(n, prefix).sk);
  }
  const calls: { ak: string | undefined; securityToken: string | undefined; method: string }[] = [];
  const server = await serve((req, res) => {
    const url = new URL(req.url, 'http://x');
    const v = verifyHuaweiRequest({
      method: req.method,
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.from(req.body),
      secretFor: (ak) => secrets.get(ak),
    });
    if (!v.ok) return json(res, 401, { error_code: 'APIGW.0301', error_msg: `Incorrect IAM authentication information: ${v.message}` });
    calls.push({ ak: v.ak, securityToken: req.headers['x-security-token'] as string | undefined, method: req.method });
    if (req.method === 'PUT') {
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'GET') return json(res, 200, { events: [], meta_data: { count: 0, marker: '', total: 0 } });
    // Cloud Eye's acceptance: one {event_id, event_name} per event of the request.
    const entries = JSON.parse(req.body) as { event_name: string }[];
    json(
      res,
      201,
      entries.map((e, i) => ({ event_id: `ev${calls.length}x${i}`, event_name: e.event_name })),
    );
  });
  return { ...server, calls };
}

/** No Huawei credentials from the test runner's own environment. */
const CLEAN_ENV = {
  HUAWEICLOUD_SDK_AK: '',
  HUAWEICLOUD_SDK_SK: '',
  HUAWEICLOUD_SDK_SECURITY_TOKEN: '',
  HUAWEICLOUD_SDK_IDP_ID: '',
  HUAWEICLOUD_SDK_ID_TOKEN_FILE: '',
  HUAWEICLOUD_SDK_IAM_ENDPOINT: '',
  LOG2EVENTS_HUAWEI_ECS_METADATA: '',
};

type SinkKind = 'huawei_ces' | 'huawei_aom';

/** The sink's config block as YAML flow text (`auth` is its credential keys). */
const sinkYaml = (kind: SinkKind, endpoint: string, auth = '') =>
  `{ type: ${kind}, region: cn-north-4, project_id: ${PROJECT}, endpoint: "${endpoint}"${auth ? `, ${auth}` : ''} }`;

/** Where a sink of `kind` calls and with which credentials, resolved from its config and `env` as the sink does. */
function target(endpoint: string, o: { kind?: SinkKind; auth?: string; env?: Record<string, string> } = {}): HuaweiTarget {
  const kind = o.kind ?? 'huawei_ces';
  const loaded = loadConfigText(`sinks: { hw: ${sinkYaml(kind, endpoint, o.auth)} }\n`, 'c.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const options = huaweiConnection.parse(loaded.config.sinks.get('hw')?.options);
  return resolveHuaweiTarget(kind === 'huawei_aom' ? 'aom' : 'ces', options, { env: { ...CLEAN_ENV, ...o.env } });
}

/** The connection keys of a parsed sink config (both Huawei sinks share them). */
const huaweiConnection = z.object(huaweiConnectionShape());

/** One report as the sink of `kind` sends it (Cloud Eye POST, AOM PUT): the call's result. */
async function report(t: HuaweiTarget, kind: SinkKind = 'huawei_ces'): Promise<HttpCallResult> {
  const req =
    kind === 'huawei_ces'
      ? {
          method: 'POST' as const,
          path: `/V1.0/${PROJECT}/events`,
          body: JSON.stringify([{ event_name: 'OrderFailed', event_source: 'shop.orders', time: Date.now(), detail: {} }]),
        }
      : { method: 'PUT' as const, path: `/v2/${PROJECT}/push/events`, body: JSON.stringify({ events: [] }) };
  return huaweiCall(t, req, 1, AbortSignal.timeout(20_000));
}

/** The outcome of a call that got no answer: credentials could not be had. */
function failure(r: HttpCallResult): EntryOutcome | undefined {
  return r.ok ? undefined : r.failure.outcomes[0];
}

const ok = (r: HttpCallResult) => r.ok && r.reply.status < 300;

describe('Huawei temporary credentials: CCE workload identity (OIDC)', () => {
  it('exchanges the id token from the SDK variables at IAM and signs with the temporary AK and X-Security-Token, one exchange for concurrent sends', async () => {
    const iam = await fakeIam();
    const cloud = await fakeCloud();
    const s = scratchDir();
    const tokenFile = s.write('oidc-token', 'projected-id-token-1\n');
    const t = target(cloud.url, {
      env: { HUAWEICLOUD_SDK_IDP_ID: 'cce-idp', HUAWEICLOUD_SDK_ID_TOKEN_FILE: tokenFile, HUAWEICLOUD_SDK_IAM_ENDPOINT: iam.url },
    });
    const results = await Promise.all([report(t), report(t), report(t), report(t)]);
    expect(results.every(ok)).toBe(true);
    expect(iam.idTokens).toEqual([{ idp: 'cce-idp', token: 'projected-id-token-1' }]);
    const sts = JSON.parse(iam.requests.find((q) => q.path === '/v3.0/OS-CREDENTIAL/securitytokens')?.body ?? '{}') as unknown;
    expect(sts).toEqual({ auth: { identity: { methods: ['token'], token: { id: 'iam-token-1-ok', duration_seconds: 3600 } } } });
    expect(cloud.calls).toHaveLength(4);
    for (const c of cloud.calls) expect(c).toMatchObject({ ak: 'TEMPAK1', securityToken: 'sec-TEMPAK-1' });
    s.cleanup();
  });

  it('refreshes an expiring credential, sending IAM the rotated id-token file', async () => {
    const s = scratchDir();
    const tokenFile = s.write('oidc-token', 'id-token-v1');
    // Expires in 2 min: inside the refresh window, so the next send refreshes; kubelet rotates after each exchange.
    const iam = await fakeIam({ expiresInMs: 120_000, onExchange: (n) => writeFileSync(tokenFile, `id-token-v${n + 1}`) });
    const cloud = await fakeCloud();
    const t = target(cloud.url, {
      auth: `oidc: { idp_id: cce-idp, id_token_file: "${tokenFile}", iam_endpoint: "${iam.url}", duration_seconds: 900 }`,
    });
    expect(ok(await report(t))).toBe(true);
    expect(ok(await report(t))).toBe(true);
    expect(iam.idTokens.map((x) => x.token)).toEqual(['id-token-v1', 'id-token-v2']);
    expect(readFileSync(tokenFile, 'utf8')).toBe('id-token-v3');
    expect(cloud.calls.map((c) => [c.ak, c.securityToken])).toEqual([
      ['TEMPAK1', 'sec-TEMPAK-1'],
      ['TEMPAK2', 'sec-TEMPAK-2'],
    ]);
    s.cleanup();
  });

  it('keeps using a still-valid credential when its refresh fails', async () => {
    const iam = await fakeIam({
      expiresInMs: 120_000,
      answer: (n) => (n === 1 ? 'ok' : { status: 503, body: { error_code: 'IAM.0001', error_msg: 'busy' } }),
    });
    const cloud = await fakeCloud();
    const s = scratchDir();
    const t = target(cloud.url, { auth: `oidc: { idp_id: cce-idp, id_token_file: "${s.write('t', 'tok')}", iam_endpoint: "${iam.url}" }` });
    expect(ok(await report(t))).toBe(true);
    expect(ok(await report(t))).toBe(true);
    expect(iam.exchanges()).toBe(2);
    expect(cloud.calls.map((c) => c.ak)).toEqual(['TEMPAK1', 'TEMPAK1']);
    s.cleanup();
  });

  it('answers retryable huawei.credentials while IAM fails or answers a malformed credential, and gets through once it recovers', async () => {
    const iam = await fakeIam({
      answer: (n) => (n === 1 ? { status: 500, body: { error_code: 'IAM.0006', error_msg: 'internal' } } : n === 2 ? 'malformed' : 'ok'),
    });
    const cloud = await fakeCloud();
    const s = scratchDir();
    const t = target(cloud.url, { auth: `oidc: { idp_id: cce-idp, id_token_file: "${s.write('t', 'tok')}", iam_endpoint: "${iam.url}" }` });
    expect(failure(await report(t))).toMatchObject({
      kind: 'retryable',
      code: 'huawei.credentials',
      message: expect.stringMatching(/IAM\.0006/),
    });
    expect(failure(await report(t))).toMatchObject({ kind: 'retryable', code: 'huawei.credentials' });
    expect(ok(await report(t))).toBe(true);
    expect(iam.exchanges()).toBe(3);
    expect(cloud.calls.map((c) => c.ak)).toEqual(['TEMPAK3']);
    s.cleanup();
  });

  it("names IAM's refusal in the retryable huawei.credentials outcome (dead-lettered after retry.max_elapsed)", async () => {
    const iam = await fakeIam({
      answer: () => ({ status: 401, body: { error: { code: 401, message: 'The id token is invalid', title: 'Unauthorized' } } }),
    });
    const cloud = await fakeCloud();
    const s = scratchDir();
    const t = target(cloud.url, { auth: `oidc: { idp_id: cce-idp, id_token_file: "${s.write('t', 'tok')}", iam_endpoint: "${iam.url}" }` });
    const o = failure(await report(t));
    expect(o).toMatchObject({ kind: 'retryable', code: 'huawei.credentials' });
    expect(o && o.kind !== 'delivered' && o.message).toMatch(
      /CCE workload identity \(OIDC\): IAM \(token with id token\) answered HTTP 401 .*The id token is invalid/,
    );
    expect(cloud.calls).toEqual([]);
    s.cleanup();
  });

  it('retries when the id token file is missing', async () => {
    const iam = await fakeIam();
    const cloud = await fakeCloud();
    const s = scratchDir();
    const t = target(cloud.url, { auth: `oidc: { idp_id: cce-idp, id_token_file: "${s.dir}/absent", iam_endpoint: "${iam.url}" }` });
    const o = failure(await report(t));
    expect(o).toMatchObject({
      kind: 'retryable',
      code: 'huawei.credentials',
      message: expect.stringMatching(/cannot read the id token file/),
    });
    expect(iam.exchanges()).toBe(0);
    s.cleanup();
  });

  it('drives huawei_aom the same way', async () => {
    const iam = await fakeIam();
    const cloud = await fakeCloud();
    const s = scratchDir();
    const t = target(cloud.url, {
      kind: 'huawei_aom',
      env: { HUAWEICLOUD_SDK_IDP_ID: 'cce-idp', HUAWEICLOUD_SDK_ID_TOKEN_FILE: s.write('t', 'tok'), HUAWEICLOUD_SDK_IAM_ENDPOINT: iam.url },
    });
    expect(ok(await report(t, 'huawei_aom'))).toBe(true);
    expect(ok(await report(t, 'huawei_aom'))).toBe(true);
    expect(cloud.calls).toEqual([
      { ak: 'TEMPAK1', securityToken: 'sec-TEMPAK-1', method: 'PUT' },
      { ak: 'TEMPAK1', securityToken: 'sec-TEMPAK-1', method: 'PUT' },
    ]);
    s.cleanup();
  });

  it('gives query the same credentials, and a clear error when IAM refuses', async () => {
    const iam = await fakeIam({
      answer: (n) => (n === 1 ? 'ok' : { status: 403, body: { error_code: 'IAM.0003', error_msg: 'idp disabled' } }),
    });
    const cloud = await fakeCloud();
    const s = scratchDir();
    const file = s.write('c.yaml', `sinks: { hw: ${sinkYaml('huawei_ces', cloud.url)} }\n`);
    const env = {
      ...CLEAN_ENV,
      HUAWEICLOUD_SDK_IDP_ID: 'cce-idp',
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: s.write('t', 'tok'),
      HUAWEICLOUD_SDK_IAM_ENDPOINT: iam.url,
    };
    const first = await withEnv(env, () => runQuery(['-c', file, '--json']));
    expect(first.code, first.stderr).toBe(0);
    expect(cloud.calls).toEqual([{ ak: 'TEMPAK1', securityToken: 'sec-TEMPAK-1', method: 'GET' }]);
    // A new query process: a new credential is fetched, and IAM refuses it.
    const refused = await withEnv(env, () => runQuery(['-c', file, '--json']));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /huawei\.credentials: no credentials: CCE workload identity \(OIDC\): IAM \(token with id token\) answered HTTP 403 IAM\.0003: idp disabled/,
    );
    expect(cloud.calls).toHaveLength(1);
    s.cleanup();
  });
});

describe('Huawei temporary credentials: ECS metadata', () => {
  it('uses the agency AK/SK from the metadata service (config ecs_metadata), with its session token', async () => {
    const meta = await fakeMetadata();
    const cloud = await fakeCloud();
    const t = target(cloud.url, { auth: `ecs_metadata: { endpoint: "${meta.url}" }` });
    expect(ok(await report(t))).toBe(true);
    expect(ok(await report(t))).toBe(true);
    expect(meta.gets()).toBe(1);
    expect(cloud.calls.map((c) => [c.ak, c.securityToken])).toEqual([
      ['METAAK1', 'sec-METAAK-1'],
      ['METAAK1', 'sec-METAAK-1'],
    ]);
  });

  it('is enabled by LOG2EVENTS_HUAWEI_ECS_METADATA, works without session tokens, and retries a failing metadata service', async () => {
    const meta = await fakeMetadata({
      session: false,
      answer: (n) => (n === 1 ? { status: 500, body: { message: 'agency not ready' } } : 'ok'),
    });
    const cloud = await fakeCloud();
    const t = target(cloud.url, { env: { LOG2EVENTS_HUAWEI_ECS_METADATA: meta.url } });
    expect(failure(await report(t))).toMatchObject({ kind: 'retryable', code: 'huawei.credentials' });
    expect(ok(await report(t))).toBe(true);
    expect(meta.gets()).toBe(2);
    expect(meta.requests.filter((q) => q.method === 'GET').every((q) => q.headers['x-metadata-token'] === undefined)).toBe(true);
    expect(cloud.calls.map((c) => c.ak)).toEqual(['METAAK2']);
  });

  it('is not asked when nothing enables it', () => {
    expect(() => target('http://127.0.0.1:9')).toThrow(/no credentials: .*ecs_metadata: true or LOG2EVENTS_HUAWEI_ECS_METADATA=true/);
  });
});

describe('Huawei credentials: order', () => {
  it('environment AK/SK win over workload identity and metadata from the environment', async () => {
    const iam = await fakeIam();
    const meta = await fakeMetadata();
    const cloud = await fakeCloud();
    const s = scratchDir();
    const t = target(cloud.url, {
      env: {
        HUAWEICLOUD_SDK_AK: HW.ak,
        HUAWEICLOUD_SDK_SK: HW.sk,
        HUAWEICLOUD_SDK_IDP_ID: 'cce-idp',
        HUAWEICLOUD_SDK_ID_TOKEN_FILE: s.write('t', 'tok'),
        HUAWEICLOUD_SDK_IAM_ENDPOINT: iam.url,
        LOG2EVENTS_HUAWEI_ECS_METADATA: meta.url,
      },
    });
    expect(ok(await report(t))).toBe(true);
    expect(cloud.calls).toEqual([{ ak: HW.ak, securityToken: undefined, method: 'POST' }]);
    expect(iam.requests).toEqual([]);
    expect(meta.requests).toEqual([]);
    s.cleanup();
  });

  it('config credentials win over everything in the environment', async () => {
    const iam = await fakeIam();
    const cloud = await fakeCloud();
    const s = scratchDir();
    const t = target(cloud.url, {
      auth: `credentials: { ak: ${HW.ak}, sk: "${HW.sk}", security_token: static-token }`,
      env: { HUAWEICLOUD_SDK_IDP_ID: 'cce-idp', HUAWEICLOUD_SDK_ID_TOKEN_FILE: s.write('t', 'tok'), HUAWEICLOUD_SDK_IAM_ENDPOINT: iam.url },
    });
    expect(ok(await report(t))).toBe(true);
    expect(cloud.calls).toEqual([{ ak: HW.ak, securityToken: 'static-token', method: 'POST' }]);
    expect(iam.requests).toEqual([]);
    s.cleanup();
  });

  it('refuses two credential sources in one sink config, and malformed oidc / ecs_metadata keys', () => {
    const bad = [
      [
        'credentials: { ak: a, sk: b }, oidc: { idp_id: i, id_token_file: /f }',
        /give one of credentials, auth_token, oidc, ecs_metadata, not credentials and oidc/,
      ],
      ['oidc: { idp_id: i, id_token_file: /f }, ecs_metadata: true', /not oidc and ecs_metadata/],
      ['oidc: { idp_id: i }', /id_token_file/],
      ['oidc: { idp_id: i, id_token_file: /f, iam_endpoint: not-a-url }', /iam_endpoint/],
      ['oidc: { idp_id: i, id_token_file: /f, duration_seconds: 60 }', /duration_seconds/],
      ['ecs_metadata: { endpoint: "ftp://x" }', /ecs_metadata/],
    ] as const;
    for (const [auth, message] of bad) {
      const loaded = loadConfigText(`sinks: { hw: ${sinkYaml('huawei_ces', 'http://127.0.0.1:9', auth)} }\n`, 'c.yaml');
      expect(loaded.ok, auth).toBe(false);
      expect(loaded.ok ? '' : loaded.errors.join('\n'), auth).toMatch(message);
    }
  });
});

/** Runs `fn` with these variables in process.env, restoring them after. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('RefreshingCredentials (the cache both sinks and query use), on a fake clock', () => {
  /** With `hold`, the first fetch waits until `release()`. */
  function provider(expiresIn: number, hold = false) {
    let clock = 1_000_000;
    let n = 0;
    let fail = false;
    let release: (() => void) | undefined;
    const gate = hold ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    const p = new RefreshingCredentials(
      'test source',
      async (): Promise<TemporaryCredential> => {
        n++;
        await gate;
        if (fail) throw new HuaweiCredentialError('IAM down');
        return { ak: `AK${n}`, sk: 'sk', securityToken: `st${n}`, expiresAt: clock + expiresIn };
      },
      () => clock,
    );
    return {
      p,
      fetches: () => n,
      release: () => release?.(),
      advance: (ms: number) => (clock += ms),
      failFromNowOn: () => (fail = true),
    };
  }

  it('lets concurrent callers wait for one fetch, then serves the cache until the refresh window', async () => {
    const t = provider(3_600_000, true);
    const all = Promise.all([t.p.get(), t.p.get(), t.p.get()]);
    await Promise.resolve();
    t.release();
    const got = await all;
    expect(t.fetches()).toBe(1);
    expect(got.map((a) => (a.kind === 'aksk' ? a.ak : a.kind))).toEqual(['AK1', 'AK1', 'AK1']);
    t.advance(3_600_000 - REFRESH_AHEAD_MS - 1);
    expect(await t.p.get()).toMatchObject({ ak: 'AK1', securityToken: 'st1' });
    t.advance(2);
    expect(await t.p.get()).toMatchObject({ ak: 'AK2', securityToken: 'st2' });
    expect(t.fetches()).toBe(2);
  });

  it('keeps a valid credential through failed refreshes, and gives up on it once it expires', async () => {
    const t = provider(3_600_000);
    await t.p.get();
    t.failFromNowOn();
    t.advance(3_600_000 - REFRESH_AHEAD_MS + 1);
    expect(await t.p.get()).toMatchObject({ ak: 'AK1' });
    t.advance(REFRESH_AHEAD_MS);
    await expect(t.p.get()).rejects.toThrow(/test source: IAM down/);
  });

  it('refuses a credential that is already expired when handed out', async () => {
    const t = provider(-1);
    await expect(t.p.get()).rejects.toBeInstanceOf(HuaweiCredentialError);
    await expect(t.p.get()).rejects.toThrow(/already past/);
  });
});
