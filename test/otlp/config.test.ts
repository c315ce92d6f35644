import { describe, expect, it } from 'vitest';
import { otlpSourceSchema } from '../../src/sources/otlp/config.ts';

describe('otlp source config', () => {
  it('enables both receivers on loopback with 16 MiB limits by default', () => {
    expect(otlpSourceSchema().parse({ type: 'otlp' })).toEqual({
      type: 'otlp',
      http: { listen: { host: '127.0.0.1', port: 4318 }, max_body: 16 * 1024 * 1024 },
      grpc: { listen: { host: '127.0.0.1', port: 4317 }, max_receive_message_length: 16 * 1024 * 1024 },
      max_inflight_bytes: 64 * 1024 * 1024,
      max_records: 20_000,
      request_timeout: 30_000,
    });
  });

  it('takes a body budget, a record cap and a request timeout; the budget holds the largest request', () => {
    const cfg = otlpSourceSchema().parse({ type: 'otlp', max_inflight_bytes: '32MiB', max_records: 1000, request_timeout: '5s' });
    expect([cfg.max_inflight_bytes, cfg.max_records, cfg.request_timeout]).toEqual([32 * 1024 * 1024, 1000, 5000]);
    const small = otlpSourceSchema().safeParse({ type: 'otlp', max_inflight_bytes: '8MiB' });
    expect(small.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['max_inflight_bytes', 'must be at least the largest request accepted (max_body / max_receive_message_length: 16777216 bytes)'],
    ]);
    expect(
      otlpSourceSchema().safeParse({
        type: 'otlp',
        max_inflight_bytes: '8MiB',
        http: { max_body: '4MiB' },
        grpc: { max_receive_message_length: '4MiB' },
      }).success,
    ).toBe(true);
    expect(otlpSourceSchema().safeParse({ type: 'otlp', max_records: 0 }).success).toBe(false);
    expect(otlpSourceSchema().safeParse({ type: 'otlp', request_timeout: '10ms' }).success).toBe(false);
  });

  it('takes listen addresses, sizes, a bearer token and TLS files', () => {
    const cfg = otlpSourceSchema().parse({
      type: 'otlp',
      http: {
        listen: '0.0.0.0:14318',
        max_body: '4MiB',
        bearer_token: 't',
        tls: { cert_file: 'c.pem', key_file: 'k.pem', client_ca_file: 'ca.pem' },
      },
      grpc: {
        listen: '[::1]:14317',
        max_receive_message_length: '512KB',
        bearer_token: 'g',
        tls: { cert_file: 'c.pem', key_file: 'k.pem' },
      },
    });
    expect(cfg.http).toEqual({
      listen: { host: '0.0.0.0', port: 14318 },
      max_body: 4 * 1024 * 1024,
      bearer_token: 't',
      tls: { cert_file: 'c.pem', key_file: 'k.pem', client_ca_file: 'ca.pem' },
    });
    expect(cfg.grpc).toEqual({
      listen: { host: '::1', port: 14317 },
      max_receive_message_length: 512_000,
      bearer_token: 'g',
      tls: { cert_file: 'c.pem', key_file: 'k.pem' },
    });
  });

  it('turns a receiver off with false, but not both', () => {
    expect(otlpSourceSchema().parse({ type: 'otlp', grpc: false }).grpc).toBe(false);
    const both = otlpSourceSchema().safeParse({ type: 'otlp', http: false, grpc: false });
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]?.message).toMatch(/at least one of http and grpc/);
  });

  it('rejects unknown keys and bad values, naming the path', () => {
    const r = otlpSourceSchema().safeParse({ type: 'otlp', http: { listen: 'nowhere', maxbody: 1 }, grpc: { tls: { cert_file: 'c' } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['http.listen', 'invalid listen address "nowhere" (use host:port)'],
      ['http', 'Unrecognized key: "maxbody"'],
      ['grpc.tls.key_file', 'Invalid input: expected string, received undefined'],
    ]);
  });
});
