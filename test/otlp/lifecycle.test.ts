import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startReceiver } from './harness.ts';

const BODY = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'payment failed for order 3' } }] }] }] });

describe('OTLP receiver lifecycle', () => {
  it('answers a request still in flight at stop with a retryable 503, then stops listening', async () => {
    const r = await startReceiver({ grpc: false });
    let stopped: Promise<void> | undefined;
    const response = new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: r.httpPort, path: '/v1/logs', method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
        },
      );
      req.on('error', reject);
      req.write(BODY.slice(0, 20));
      // The rest of the body arrives only after the receiver was told to stop.
      setTimeout(() => {
        stopped = r.stop();
        setTimeout(() => req.end(BODY.slice(20)), 50);
      }, 50);
    });
    expect(await response).toEqual({ status: 503, retryAfter: '5' });
    await stopped;
    expect(r.intake.committed).toHaveLength(0);
    await expect(fetch(r.httpUrl, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } })).rejects.toThrow();
  });

  it('refuses with 503 once the agent stops taking input', async () => {
    const r = await startReceiver({ grpc: false });
    r.abort.abort();
    const res = await fetch(r.httpUrl, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: number }).code).toBe(14); // UNAVAILABLE
    await r.stop();
  });

  it('reports a port already in use as a start error', async () => {
    const first = await startReceiver({ grpc: false });
    await expect(startReceiver({ http: { listen: `127.0.0.1:${first.httpPort}` }, grpc: false })).rejects.toThrow(/EADDRINUSE/);
    await first.stop();
  });
});
