import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogRecordType, LOGS_SERVICE_EXPORT_PATH } from '../../src/sources/otlp/proto/schema.ts';
import { scratchDir } from '../helpers/cli.ts';
import { metricSum, startOtlpAgent, type OtlpAgent } from '../helpers/otlp-agent.ts';

/**
 * The OTLP receivers of a running agent under requests built to exhaust it: stalled large
 * uploads, too many records, oversized bodies, unauthenticated large gRPC messages.
 */
const MiB = 1024 * 1024;
const MAX_RECORDS = 300_000;
const REQUEST_TIMEOUT_MS = 3_000;
const TOKEN = 'grpc-secret';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), varint(body.length), body]);

/** An ExportLogsServiceRequest of `count` copies of one record, built at the wire level (fast). */
function protobufRequest(count: number, record: Record<string, unknown> = {}): Buffer {
  const one = field(0x12, Buffer.from(LogRecordType.encode(LogRecordType.fromObject(record)).finish()));
  const scopeLogs = field(0x12, Buffer.concat(Array(count).fill(one)));
  return field(0x0a, scopeLogs);
}

const goodJson = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'hello' } }] }] }] });

function vmHwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

function vmRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** Sends headers declaring `size` bytes and all but the last byte of the body, then stalls. */
function stalledUpload(port: number, size: number): { socket: net.Socket; answered: Promise<string>; sent: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let response = '';
  const answered = new Promise<string>((resolve) => {
    socket.on('data', (d: Buffer) => {
      response += d.toString('latin1');
      if (response.includes('\r\n\r\n')) resolve(response.slice(0, response.indexOf('\r\n')));
    });
    socket.on('close', () => resolve(response.slice(0, response.indexOf('\r\n')) || 'closed'));
  });
  const sent = new Promise<void>((resolve) => {
    socket.write(`POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(MiB, 0x41);
    let left = size - 1;
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
      }
      resolve();
    };
    pump();
    socket.on('close', () => resolve());
  });
  return { socket, answered, sent };
}

describe('OTLP receivers under resource-exhausting requests (a running agent)', () => {
  const scratch = scratchDir('l2e-otlp-limits-');
  let agent: OtlpAgent;
  const httpUrl = () => agent.httpUrl;

  beforeAll(async () => {
    agent = await startOtlpAgent(scratch.dir, scratch.write, {
      grpcToken: TOKEN,
      source: `    max_records: ${MAX_RECORDS}
    request_timeout: ${REQUEST_TIMEOUT_MS}ms`,
      rest: `rules:
  - name: rare
    when: { contains: "never in these bodies" }
    event: { name: Rare }
    to: [out]
`,
    });
  });

  afterAll(() => {
    if (agent?.child.exitCode === null) agent.child.kill('SIGKILL');
    scratch.cleanup();
  });

  it('64 stalled 15 MiB uploads: RSS stays under 300 MiB, valid requests keep getting 200, the stalled time out', async () => {
    const pid = agent.child.pid!;
    const rssBefore = vmRssMiB(pid);
    const statuses: number[] = [];
    let flowing = true;
    const valid = (async () => {
      while (flowing) {
        const res = await fetch(httpUrl(), { method: 'POST', body: goodJson, headers: { 'content-type': 'application/json' } });
        await res.arrayBuffer();
        statuses.push(res.status);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const uploads = Array.from({ length: 64 }, () => stalledUpload(agent.httpPort, 15 * MiB));
    await Promise.all(uploads.map((u) => u.sent));
    const answers = await Promise.all(uploads.map((u) => u.answered));
    flowing = false;
    await valid;
    const peak = vmHwmMiB(pid);
    for (const u of uploads) u.socket.destroy();
    console.log(
      `stalled uploads: RSS ${rssBefore.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB; answers ${JSON.stringify(count(answers))}; valid requests ${JSON.stringify(count(statuses))}`,
    );

    // Every stalled upload is answered: most at once (429, the budget is spent; the connection
    // is closed rather than the rest of the body read, so a client may see the reset first),
    // the few admitted with 408 once request_timeout has passed.
    const expected = ['HTTP/1.1 429 Too Many Requests', 'HTTP/1.1 408 Request Timeout', 'closed'];
    expect(
      answers.every((a) => expected.includes(a)),
      JSON.stringify(count(answers)),
    ).toBe(true);
    expect(answers.filter((a) => a.includes('429')).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.includes('408')).length).toBeGreaterThan(0);
    expect(statuses.length).toBeGreaterThan(0);
    expect(
      statuses.every((s) => s === 200),
      JSON.stringify(count(statuses)),
    ).toBe(true);
    expect(peak).toBeLessThan(300);
    expect(await metricSum(agent.adminUrl, 'log2events_otlp_requests_total', 'outcome="busy"')).toBeGreaterThan(0);
    expect(await metricSum(agent.adminUrl, 'log2events_otlp_requests_total', 'outcome="timeout"')).toBeGreaterThan(0);
  });

  it('32 stalled 15 MiB gRPC uploads: read a few at a time, RSS under 300 MiB, all end at request_timeout', async () => {
    const pid = agent.child.pid!;
    const chunk = Buffer.alloc(MiB, 0);
    // One connection each, as separate clients would come.
    const sessions: http2.ClientHttp2Session[] = [];
    const calls = Array.from({ length: 32 }, () => {
      const session = http2.connect(`http://127.0.0.1:${agent.grpcPort}`);
      session.on('error', () => undefined);
      sessions.push(session);
      const stream = session.request({
        ':method': 'POST',
        ':path': LOGS_SERVICE_EXPORT_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
        authorization: `Bearer ${TOKEN}`,
      });
      stream.on('error', () => undefined);
      const status = new Promise<string>((resolve) => {
        stream.on('trailers', (t) => resolve(String(t['grpc-status'])));
        stream.on('response', (h) => h['grpc-status'] !== undefined && resolve(String(h['grpc-status'])));
        stream.on('close', () => resolve(`closed ${stream.rstCode}`));
      });
      // A 5-byte gRPC prefix declaring 15 MiB, then all but the last byte of it; never ended.
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(15 * MiB, 1);
      stream.write(prefix);
      let left = 15 * MiB - 1;
      const pump = () => {
        while (left > 0) {
          const piece = left >= MiB ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!stream.write(piece)) return void stream.once('drain', pump);
        }
      };
      pump();
      return status;
    });
    const statuses = await Promise.all(calls);
    const peak = vmHwmMiB(pid);
    for (const session of sessions) session.destroy();
    console.log(`stalled gRPC uploads: peak ${peak.toFixed(0)} MiB; statuses ${JSON.stringify(count(statuses))}`);
    expect(
      statuses.every((s) => s === String(grpc.status.DEADLINE_EXCEEDED)),
      JSON.stringify(count(statuses)),
    ).toBe(true);
    expect(peak).toBeLessThan(300);
  });

  it('answers a 17 MiB body with a 413 that a Node client reads (not EPIPE)', async () => {
    const size = 17 * MiB;
    const result = await new Promise<{ status?: number; error?: string }>((resolve) => {
      const req = http.request(
        httpUrl(),
        { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': String(size) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode }));
        },
      );
      req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
      // The whole body in one write, as the OpenTelemetry exporters send it.
      req.end(Buffer.alloc(size, 1));
    });
    expect(result).toEqual({ status: 413 });
  });

  it('answers more than max_records records with 413 before decoding them (both encodings)', async () => {
    const proto = await fetch(httpUrl(), {
      method: 'POST',
      body: protobufRequest(MAX_RECORDS + 1),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(proto.status).toBe(413);
    const json = await fetch(httpUrl(), {
      method: 'POST',
      body: `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${Array(MAX_RECORDS + 1)
        .fill('{}')
        .join(',')}]}]}]}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(413);
    expect(((await json.json()) as { message: string }).message).toMatch(/more than max_records \(300000\)/);
  });

  it('answers a JSON body of millions of empty objects with 413 before parsing it', async () => {
    const pid = agent.child.pid!;
    const before = vmHwmMiB(pid);
    const bomb = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[${Array(5_000_000).fill('{}').join(',')}]}]}]}]}`;
    const res = await fetch(httpUrl(), { method: 'POST', body: bomb, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/more than 1000000 JSON objects and arrays/);
    // Parsed, it would have taken ~240 MiB of heap; refused, the body itself (14 MiB) at most.
    expect(vmHwmMiB(pid) - before).toBeLessThan(100);
  });

  it('keeps answering /healthz while it works through a request of many records', async () => {
    const body = protobufRequest(MAX_RECORDS, { body: { stringValue: 'GET /api/items 200' }, severityNumber: 9 });
    let answeredDuring = 0;
    let pending = true;
    const big = fetch(httpUrl(), { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } }).then(async (r) => {
      await r.arrayBuffer();
      pending = false;
      return r.status;
    });
    while (pending) {
      const res = await fetch(`${agent.adminUrl}/healthz`);
      await res.text();
      if (pending && res.status === 200) answeredDuring++;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await big).toBe(200);
    // Answers that came back while the request was still being processed: the receiver let
    // the event loop run between slices of records.
    expect(answeredDuring).toBeGreaterThan(1);
  });

  it('refuses an unauthenticated gRPC call before reading its message', async () => {
    const client = new grpc.Client(`127.0.0.1:${agent.grpcPort}`, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': -1,
    });
    const call = (token: string, bytes: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', `Bearer ${token}`);
        client.makeUnaryRequest(
          LOGS_SERVICE_EXPORT_PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          (err) => resolve(err),
        );
      });
    // Over max_receive_message_length: had the message been read first, this would be RESOURCE_EXHAUSTED.
    const huge = Buffer.alloc(16 * MiB + 1, 0);
    expect((await call('wrong', huge))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await call(TOKEN, huge))?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await call(TOKEN, protobufRequest(2, { body: { stringValue: 'x' } }))).toBeNull();
    client.close();
  });

  it('drains and exits 0 on SIGTERM', async () => {
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  });
});

function count<T extends string | number>(items: T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[String(i)] = (out[String(i)] ?? 0) + 1;
  return out;
}
