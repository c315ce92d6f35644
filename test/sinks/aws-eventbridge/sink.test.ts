import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/agent/load-config.ts';
import { DeliveryEngine } from '../../../src/delivery/engine.ts';
import { StateStore } from '../../../src/store/state-store.ts';
import { EMULATOR_CREDENTIALS, startEmulator, type EmulatorConfigInput, type RunningEmulator } from '../../../src/emulator/index.ts';
import { type Logger, silentLogger } from '../../../src/observability/logger.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import type { EventBridgeSink } from '../../../src/sinks/aws-eventbridge/eventbridge-sink.ts';
import { event, sinkOptions, tempDir } from '../../delivery/helpers.ts';

/**
 * The EventBridge sink in-process, through the AWS SDK, against the emulator: what each answer
 * becomes, clock skew, request limits, the credential chain.
 */

const AWS = EMULATOR_CREDENTIALS.aws;
const CREDS = `credentials: { access_key_id: ${AWS.accessKeyId}, secret_access_key: "${AWS.secretAccessKey}" }`;

async function sink(fields: string): Promise<EventBridgeSink> {
  const loaded = loadConfigText(`sinks: { s: { type: aws_eventbridge, ${fields} } }\n`, 'aws.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const sc = loaded.config.sinks.get('s');
  if (!sc) throw new Error('no sink');
  const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  return (await sc.create({ logger, metrics: new Metrics(), baseDir: process.cwd() })) as EventBridgeSink;
}

async function emulator(config: EmulatorConfigInput = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, config });
}

const send = (s: EventBridgeSink, n: number) =>
  s.send(
    Array.from({ length: n }, (_, i) => event({ content: `e${i}` })),
    AbortSignal.timeout(20_000),
  );

describe('aws_eventbridge sink against the emulator', () => {
  let emu: RunningEmulator;
  let s: EventBridgeSink;
  beforeAll(async () => {
    emu = await emulator();
    s = await sink(`region: us-east-1, endpoint: "${emu.url}", event_bus: orders, ${CREDS}`);
  });
  afterAll(async () => {
    await s.close();
    await emu.close();
  });
  afterEach(() => emu.reset());

  it('counts an entry delivered only with its EventId', async () => {
    const r = await send(s, 3);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered', 'delivered']);
    const ids = emu.events('aws').map((e) => e.event.EventId);
    expect(r.outcomes.map((o) => (o.kind === 'delivered' ? o.providerId : undefined))).toEqual(ids);
    expect(emu.events('aws')[0]!.event).toMatchObject({ EventBusName: 'orders', Source: 'test.app', DetailType: 'Evt' });
  });

  it('retries only entries failed with ThrottlingException / InternalFailure inside a 200', async () => {
    emu.setFaults({ aws: { entry_failure: { every: 2, codes: ['ThrottlingException'] } } });
    const r = await send(s, 4);
    expect(r.outcomes.map((o) => `${o.kind}${o.kind === 'delivered' ? '' : `:${o.code}`}`)).toEqual([
      'delivered',
      'retryable:ThrottlingException',
      'delivered',
      'retryable:ThrottlingException',
    ]);
    expect(r.throttled).toBe(true);
    expect(emu.events('aws')).toHaveLength(2);
  });

  it('takes a whole-request ThrottlingException (HTTP 400) as "slow down", with Retry-After', async () => {
    emu.setFaults({ aws: { throttle: { first: 1, retry_after: '2s' } } });
    const r = await send(s, 2);
    expect(r.throttled).toBe(true);
    expect(r.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'ThrottlingException', retryAfterMs: 2000 });
  });

  it.each([500, 503] as const)('retries a whole-request %i', async (status) => {
    emu.setFaults({ aws: { server_error: { first: 1, status } } });
    const r = await send(s, 2);
    expect(r.outcomes[0]).toMatchObject({ kind: 'retryable', code: status === 500 ? 'InternalFailure' : 'ServiceUnavailable' });
  });

  it('dead-letters an event the sink itself refuses, before it is sent (check)', () => {
    const bad = event({ overrides: { aws: { trace_header: 'x'.repeat(501) } } });
    expect(s.check(bad)).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('aws.trace_header') });
    expect(s.check(event())).toBeUndefined();
  });
});

describe('aws_eventbridge under a throttling storm (delivery engine in-process)', () => {
  it('50% HTTP 400 ThrottlingException and 20% failed entries: every event arrives once, nothing dead-lettered, concurrency backs off', async () => {
    const seed = 7; // the emulator's fault PRNG: a failure reproduces with the same seed
    const emu = await emulator({ seed, faults: { aws: { throttle: { probability: 0.5 }, entry_failure: { probability: 0.2 } } } });
    const s = await sink(`region: us-east-1, endpoint: "${emu.url}", ${CREDS}`);
    const tmp = tempDir('l2e-aws-storm-');
    const store = StateStore.open(tmp.dir);
    const engine = new DeliveryEngine({
      store,
      sinks: new Map([
        [
          'aws',
          {
            sink: s,
            options: sinkOptions({
              batch: { linger: 10 },
              concurrency: { adaptive: { min: 1, max: 8, initial: 8 } },
              retry: { initial: 10, max: 100, max_elapsed: 60_000 },
            }),
          },
        ],
      ]),
      spool: { max_events: 10_000, max_bytes: 64 * 1024 * 1024, full_policy: 'block' },
      logger: silentLogger,
      metrics: new Metrics(),
    });
    try {
      engine.start();
      const events = Array.from({ length: 60 }, (_, i) => event({ content: `storm ${i}`, to: ['aws'] }));
      expect(engine.intake.commit(events)).toEqual({ ok: true });
      expect(await engine.flush(60_000)).toBe(true);
      const contents = emu.events('aws').map((e) => JSON.parse(e.event.Detail!).content as string);
      expect(contents.sort(), `seed ${seed}`).toEqual(events.map((e) => e.content).sort());
      expect(store.listDeadLetters(), `seed ${seed}`).toEqual([]);
      const stats = emu.stats().aws;
      expect(stats.throttled).toBeGreaterThan(3);
      expect(stats.rejected.ThrottlingException ?? 0).toBeGreaterThan(0);
      expect(engine.concurrency('aws'), `seed ${seed}`).toBeLessThan(8);
    } finally {
      await engine.stop(1000);
      store.close();
      tmp.cleanup();
      await s.close();
      await emu.close();
    }
  }, 90_000);
});

describe('aws_eventbridge clock skew', () => {
  it.each(['20m', '-20m'])('an agent whose clock is %s off the provider: one refused attempt, the next is signed right', async (offset) => {
    const emu = await emulator({ clock_offset: offset });
    const s = await sink(`region: us-east-1, endpoint: "${emu.url}", ${CREDS}`);
    try {
      const first = await send(s, 2);
      expect(first.outcomes[0]).toMatchObject({ kind: 'retryable', code: 'InvalidSignatureException', retryAfterMs: 0 });
      expect((first.outcomes[0] as { message: string }).message).toMatch(
        offset.startsWith('-') ? /Signature not yet current/ : /Signature expired: .* is now earlier than/,
      );
      // The SDK learnt the provider's time from the answer's Date header (second resolution).
      const expected = (offset.startsWith('-') ? -1 : 1) * 20 * 60_000;
      expect(Math.abs(s.clockOffsetMs - expected)).toBeLessThan(5_000);
      const second = await send(s, 2);
      expect(second.outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
      expect(emu.events('aws')).toHaveLength(2);
    } finally {
      await s.close();
      await emu.close();
    }
  });
});

describe('aws_eventbridge request limits', () => {
  it.each([
    ['region: us-east-1', 1024 * 1024],
    ['region: eu-west-3', 1024 * 1024],
    ['region: cn-north-1', 256 * 1024],
    ['region: us-gov-west-1', 256 * 1024],
    ['region: us-east-1, max_request_bytes: 256KiB', 256 * 1024],
    ['region: us-east-1, max_request_bytes: 256KB', 256_000],
    ['region: cn-north-1, max_request_bytes: 1MiB', 1024 * 1024],
  ])('%s → %i bytes per request', async (fields, bytes) => {
    const s = await sink(`${fields}, ${CREDS}`);
    expect(s.limits).toEqual({ maxEntries: 10, maxBytes: bytes });
    await s.close();
  });

  it('a request the provider refuses as a whole for its size is split until each part fits', async () => {
    const emu = await emulator({ limits: { aws: { max_request_bytes: '2KB' } } });
    const s = await sink(`region: us-east-1, endpoint: "${emu.url}", ${CREDS}`);
    try {
      const r = await s.send(
        Array.from({ length: 4 }, (_, i) => event({ content: `${i}`.padEnd(700, '.') })),
        AbortSignal.timeout(20_000),
      );
      expect(r.outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
      expect(emu.stats().aws.rejected).toMatchObject({ ValidationException: expect.any(Number) });
    } finally {
      await s.close();
      await emu.close();
    }
  });

  it('an event over the request limit on its own is refused before sending', async () => {
    const s = await sink(`region: cn-north-1, ${CREDS}`);
    expect(s.check(event({ content: 'x'.repeat(300 * 1024) }))).toMatchObject({
      code: 'ValidationException',
      message: expect.stringContaining('at most 262144'),
    });
    await s.close();
  });
});

describe('aws_eventbridge credentials', () => {
  let emu: RunningEmulator;
  const saved = { ...process.env };
  beforeAll(async () => {
    emu = await emulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  afterEach(() => {
    process.env = { ...saved };
    emu.reset();
  });

  it('a wrong secret is final: InvalidSignatureException (HTTP 400), nothing stored', async () => {
    const s = await sink(
      `region: us-east-1, endpoint: "${emu.url}", credentials: { access_key_id: ${AWS.accessKeyId}, secret_access_key: wrong }`,
    );
    const r = await send(s, 2);
    expect(r.outcomes[0]).toMatchObject({ kind: 'permanent', code: 'InvalidSignatureException' });
    expect(emu.events('aws')).toHaveLength(0);
    await s.close();
  });

  it('takes AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment (the SDK chain)', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: AWS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const s = await sink(`region: us-east-1, endpoint: "${emu.url}"`);
    expect((await send(s, 2)).outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
    await s.close();
  });

  describe('web identity (IRSA)', () => {
    let sts: Server;
    let stsUrl = '';
    const calls: string[] = [];
    beforeAll(async () => {
      // A loopback stand-in for STS AssumeRoleWithWebIdentity (query protocol, XML answer).
      sts = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          calls.push(body);
          const params = new URLSearchParams(body);
          if (params.get('Action') !== 'AssumeRoleWithWebIdentity' || params.get('WebIdentityToken') !== 'projected-sa-token') {
            res
              .writeHead(400, { 'content-type': 'text/xml' })
              .end(
                '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error></ErrorResponse>',
              );
            return;
          }
          const exp = new Date(Date.now() + 3600_000).toISOString();
          res
            .writeHead(200, { 'content-type': 'text/xml' })
            .end(`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult>
<Credentials><AccessKeyId>${AWS.accessKeyId}</AccessKeyId><SecretAccessKey>${AWS.secretAccessKey}</SecretAccessKey><SessionToken>session-token</SessionToken><Expiration>${exp}</Expiration></Credentials>
<SubjectFromWebIdentityToken>system:serviceaccount:shop:shop</SubjectFromWebIdentityToken>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/shop/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`);
        });
      });
      await new Promise<void>((r) => sts.listen(0, '127.0.0.1', r));
      stsUrl = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => sts.close(() => r())));

    it('assumes the role from a web-identity token file through STS', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'l2e-irsa-'));
      const token = join(dir, 'token');
      writeFileSync(token, 'projected-sa-token');
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
      Object.assign(process.env, {
        AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/shop',
        AWS_WEB_IDENTITY_TOKEN_FILE: token,
        AWS_ROLE_SESSION_NAME: 'log2events-test',
        AWS_ENDPOINT_URL_STS: stsUrl,
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      const s = await sink(`endpoint: "${emu.url}"`);
      try {
        expect((await send(s, 2)).outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
        expect(calls.some((c) => c.includes('AssumeRoleWithWebIdentity'))).toBe(true);
      } finally {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
