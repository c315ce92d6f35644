import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGS_SERVICE_EXPORT_PATH } from '../../src/sources/otlp/proto/schema.ts';
import { scratchDir } from '../helpers/cli.ts';
import { hasOpenssl } from '../helpers/openssl.ts';
import { startReceiver, type Receiver } from './harness.ts';

const JSON_BODY = JSON.stringify({
  resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 17, body: { stringValue: 'payment failed for order 1' } }] }] }],
});

const openssl = hasOpenssl();
if (!openssl) console.warn('skipping OTLP TLS tests: openssl is not installed');

describe.skipIf(!openssl)('OTLP receivers with TLS and client certificates', () => {
  const scratch = scratchDir('l2e-tls-');
  const file = (name: string) => join(scratch.dir, name);
  let r: Receiver;

  beforeAll(async () => {
    // A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: scratch.dir, stdio: 'ignore' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    scratch.write('server.ext', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    scratch.write('client.ext', 'extendedKeyUsage=clientAuth\n');
    for (const name of ['server', 'client']) {
      run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
        '-out',
        `${name}.pem`,
        '-extfile',
        `${name}.ext`,
      );
    }
    const tls = { cert_file: file('server.pem'), key_file: file('server.key'), client_ca_file: file('ca.pem') };
    r = await startReceiver({ http: { listen: '127.0.0.1:0', tls }, grpc: { listen: '127.0.0.1:0', tls } });
  });
  afterAll(async () => {
    await r?.stop();
    scratch.cleanup();
  });

  function postHttps(withClientCert: boolean): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: r.httpPort,
          path: '/v1/logs',
          method: 'POST',
          ca: readFileSync(file('ca.pem')),
          ...(withClientCert ? { cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')) } : {}),
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(JSON_BODY);
    });
  }

  it('serves OTLP/HTTPS to a client with a certificate from the client CA', async () => {
    expect(await postHttps(true)).toBe(200);
    expect(r.intake.committed.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses an HTTPS client without a certificate at the handshake', async () => {
    await expect(postHttps(false)).rejects.toThrow();
  });

  it('serves OTLP/gRPC over TLS to a client with a certificate, and refuses one without', async () => {
    const ca = readFileSync(file('ca.pem'));
    const call = (creds: grpc.ChannelCredentials) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const client = new grpc.Client(`127.0.0.1:${r.grpcPort}`, creds);
        client.makeUnaryRequest(
          LOGS_SERVICE_EXPORT_PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (err) => {
            client.close();
            resolve(err);
          },
        );
      });
    expect(await call(grpc.credentials.createSsl(ca, readFileSync(file('client.key')), readFileSync(file('client.pem'))))).toBeNull();
    const refused = await call(grpc.credentials.createSsl(ca));
    expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
  });
});
