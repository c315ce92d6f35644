import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli, scratchDir, startCli } from '../helpers/cli.ts';
import { requestSizes } from './cloud-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The EventBridge sink, driven through a real `log2events run` process against the emulator.
 */
let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => emulator.reset());

const AWS = EMULATOR_CREDENTIALS.aws;

function config(dir: string, opts: { credentials?: string; extra?: string; retry?: string; concurrency?: string } = {}): string {
  const creds = opts.credentials ?? `credentials: { access_key_id: ${AWS.accessKeyId}, secret_access_key: "${AWS.secretAccessKey}" }`;
  return `state_dir: ${dir}/state
log_level: debug
admin: { listen: "127.0.0.1:0" }
sources: { in: { type: stdin } }
sinks:
  aws:
    type: aws_eventbridge
    region: us-east-1
    endpoint: ${emulator.url}
    event_bus: orders
    ${creds}
    batch: { linger: 50ms }
    concurrency: ${opts.concurrency ?? '4'}
    retry: ${opts.retry ?? '{ initial: 50ms, max: 500ms, max_elapsed: 2m }'}
    ${opts.extra ?? ''}
rules:
  - name: orders
    when: { body: 'order (?<id>\\d+) failed(?<pad> .*)?' }
    event: { name: OrderFailed, source: shop.orders, content: "order {{id}} failed{{pad}}", resource: { id: "order-{{id}}" } }
    to: [aws]
`;
}

const lines = (n: number, pad = '') => Array.from({ length: n }, (_, i) => `ERROR order ${i + 1} failed${pad}`).join('\n') + '\n';


describe('aws_eventbridge sink', () => {
  it('sends 25 events as requests of 10, 10 and 5 with the mapped fields', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { concurrency: '1' })), '--once'], { input: lines(25) });
    expect(r.code, r.stderr).toBe(0);
    expect(requestSizes(emulator, 'aws')).toEqual([10, 10, 5]);
    const first = emulator.events('aws')[0]!.event;
    expect(first).toMatchObject({ Source: 'shop.orders', DetailType: 'OrderFailed', EventBusName: 'orders' });
    expect(typeof first.Time).toBe('number');
    expect(JSON.parse(first.Detail!)).toMatchObject({ content: 'order 1 failed', severity: 'Major', resource: { id: 'order-1' }, rule: 'orders' });
    s.cleanup();
  });

  it('splits by the entry-size rule: 300 KB of events never exceed 256 KB per request', async () => {
    const s = scratchDir();
    const pad = ' ' + 'x'.repeat(30_000);
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { concurrency: '1' })), '--once'], { input: lines(10, pad) });
    expect(r.code, r.stderr).toBe(0);
    const sizes = requestSizes(emulator, 'aws');
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expect(emulator.stats().aws.rejected).toEqual({});
    s.cleanup();
  });

  it('re-sends only the entries that failed inside a 200, until all arrive', async () => {
    emulator.setFaults({ aws: { entry_failure: { probability: 0.3 } } });
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir)), '--once'], { input: lines(60) });
    expect(r.code, r.stderr).toBe(0);
    const stats = emulator.stats().aws;
    const failures = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    expect(failures).toBeGreaterThan(0);
    const contents = emulator.events('aws').map((e) => JSON.parse(e.event.Detail!).content as string);
    // every event exactly once: a failed entry was not accepted, so re-sending it made no duplicate
    expect(contents.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `order ${i + 1} failed`).sort());
    // what was sent = accepted + failed entries, nothing more: delivered entries were never re-sent
    expect(stats.accepted).toBe(60);
    s.cleanup();
  });

  it('rides out a 20 s throttling storm (50% HTTP 400 ThrottlingException): everything arrives, nothing dead-lettered, concurrency backs off and recovers', async () => {
    emulator.setFaults({ aws: { throttle: { probability: 0.5 }, latency: { min: 5 } } });
    const s = scratchDir();
    const file = s.write('c.yaml', config(s.dir, { concurrency: '{ adaptive: { min: 1, max: 8, initial: 8 } }', retry: '{ initial: 50ms, max: 1s, max_elapsed: 5m }' }));
    const agent = await startCli(['run', '-c', file]);
    const admin = /"admin":"(http:[^"]+)"/.exec(agent.stderr())![1]!;
    const concurrency: number[] = [];
    const poll = setInterval(() => {
      void fetch(`${admin}/metrics`)
        .then((r) => r.text())
        .then((t) => {
          const m = /log2events_sink_concurrency\{sink="aws"\} (\d+)/.exec(t);
          if (m) concurrency.push(Number(m[1]));
        })
        .catch(() => undefined);
    }, 100);
    let sent = 0;
    const stormEnd = Date.now() + 20_000;
    while (Date.now() < stormEnd) {
      const batch = Array.from({ length: 10 }, () => `ERROR order ${++sent} failed`).join('\n') + '\n';
      agent.child.stdin!.write(batch);
      await sleep(50);
    }
    const duringStorm = [...concurrency];
    emulator.setFaults({});
    const deadline = Date.now() + 30_000;
    while (emulator.events('aws').length < sent && Date.now() < deadline) await sleep(100);
    await sleep(1500);
    clearInterval(poll);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);

    const contents = new Set(emulator.events('aws').map((e) => JSON.parse(e.event.Detail!).content as string));
    expect(contents.size).toBe(sent);
    expect(emulator.stats().aws.throttled).toBeGreaterThan(50);
    expect(JSON.parse((await runCli(['dlq', 'list', '-c', file, '--json'])).stdout)).toEqual([]);
    // AIMD: halved under throttling, grew back once the storm was over
    const low = Math.min(...duringStorm);
    expect(low).toBeLessThan(8);
    expect(concurrency.at(-1)!).toBeGreaterThan(low);
    s.cleanup();
  }, 90_000);

  it('dead-letters events after one attempt when the secret is wrong, and dlq replay delivers them once fixed', async () => {
    const s = scratchDir();
    const bad = config(s.dir, { credentials: `credentials: { access_key_id: ${AWS.accessKeyId}, secret_access_key: "wrong-secret" }` });
    const file = s.write('c.yaml', bad);
    const r = await runCli(['run', '-c', file, '--once'], { input: lines(3) });
    // --once exits 4: events went to dead letters during the run.
    expect(r.code, r.stderr).toBe(4);
    expect(emulator.stats().aws.requests).toBe(1);
    expect(emulator.events('aws')).toHaveLength(0);
    const list = JSON.parse((await runCli(['dlq', 'list', '-c', file, '--json'])).stdout) as { code: string; message: string; attempts: number; sink: string }[];
    expect(list).toHaveLength(3);
    for (const d of list) {
      expect(d).toMatchObject({ sink: 'aws', code: 'InvalidSignatureException', attempts: 1 });
      expect(d.message).toMatch(/signature/i);
    }
    // fix the key, replay, run again: delivered
    s.write('c.yaml', config(s.dir));
    const replay = await runCli(['dlq', 'replay', '-c', file]);
    expect(replay.code, replay.stderr).toBe(0);
    const again = await runCli(['run', '-c', file, '--once'], { input: '' });
    expect(again.code, again.stderr).toBe(0);
    expect(emulator.events('aws').map((e) => JSON.parse(e.event.Detail!).content).sort()).toEqual(['order 1 failed', 'order 2 failed', 'order 3 failed']);
    expect(JSON.parse((await runCli(['dlq', 'list', '-c', file, '--json'])).stdout)).toEqual([]);
    s.cleanup();
  });
});

describe('aws_eventbridge credentials', () => {
  it('takes AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment', async () => {
    const s = scratchDir();
    const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { credentials: '' })), '--once'], {
      input: lines(2),
      env: { AWS_ACCESS_KEY_ID: AWS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(emulator.events('aws')).toHaveLength(2);
    s.cleanup();
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
            res.writeHead(400, { 'content-type': 'text/xml' }).end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error></ErrorResponse>');
            return;
          }
          const exp = new Date(Date.now() + 3600_000).toISOString();
          res.writeHead(200, { 'content-type': 'text/xml' }).end(`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult>
<Credentials><AccessKeyId>${AWS.accessKeyId}</AccessKeyId><SecretAccessKey>${AWS.secretAccessKey}</SecretAccessKey><SessionToken>session-token</SessionToken><Expiration>${exp}</Expiration></Credentials>
<SubjectFromWebIdentityToken>system:serviceaccount:shop:shop</SubjectFromWebIdentityToken>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/shop/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`);
        });
      });
      await new Promise<void>((r) => sts.listen(0, '127.0.0.1', r));
      const addr = sts.address();
      stsUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    });
    afterAll(() => new Promise<void>((r) => sts.close(() => r())));

    it('assumes the role from a web-identity token file through STS', async () => {
      const s = scratchDir();
      const token = s.write('token', 'projected-sa-token');
      const r = await runCli(['run', '-c', s.write('c.yaml', config(s.dir, { credentials: '' })), '--once'], {
        input: lines(2),
        env: {
          AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/shop',
          AWS_WEB_IDENTITY_TOKEN_FILE: token,
          AWS_ROLE_SESSION_NAME: 'log2events-test',
          AWS_ENDPOINT_URL_STS: stsUrl,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(calls.some((c) => c.includes('AssumeRoleWithWebIdentity'))).toBe(true);
      expect(emulator.events('aws')).toHaveLength(2);
      s.cleanup();
    });
  });
});
