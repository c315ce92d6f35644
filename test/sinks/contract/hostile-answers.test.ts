import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/agent/load-config.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { event } from '../../delivery/helpers.ts';

/**
 * Every network sink against a hostile server: answers that are not the provider's acceptance
 * never count as delivered, redirects are not followed (so no header reaches another origin),
 * and a huge answer is not read into memory.
 */

type Answer = (req: IncomingMessage, res: ServerResponse, other: string) => void;

const HUGE_BYTES = 256 * 1024 * 1024;
/** Bytes of the last huge answer the server managed to write before the client hung up. */
let hugeWritten = 0;
let hugeDone = false;

const answers: Record<string, Answer> = {
  'HTML page with 200': (_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>'),
  'empty 200': (_q, res) => res.writeHead(200).end(),
  'error JSON inside a 200': (_q, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"error_code":"AOM.0400","error_msg":"parse eventParam failed"}'),
  'lower-case code 200': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"200","message":"success"}'),
  '202 Accepted': (_q, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'),
  'bad JSON with 200': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"Entries":[{"EventId":'),
  '302 to another origin': (_q, res, other) => res.writeHead(302, { location: `${other}/stolen` }).end(),
  '307 to another origin': (_q, res, other) => res.writeHead(307, { location: `${other}/stolen` }).end(),
  '256 MiB answer': (_q, res) => streamHuge(res),
};

/** Cases every sink must refuse; the generic `http` sink documents any 2xx as acceptance. */
const REDIRECTS_AND_HUGE = ['302 to another origin', '307 to another origin', '256 MiB answer'];

interface SinkRow {
  type: string;
  /** The sink's config (YAML, flow style) pointed at `url`. */
  config: (url: string) => string;
  cases: string[];
  /** Headers that must never leave for another origin. */
  secrets: string[];
}

const ALL = Object.keys(answers);

const rows: SinkRow[] = [
  {
    type: 'http',
    config: (url) => `{ type: http, url: "${url}/hook", headers: { x-api-key: "s3cret-header" } }`,
    cases: REDIRECTS_AND_HUGE,
    secrets: ['x-api-key'],
  },
  {
    type: 'alibaba_cms',
    config: (url) =>
      `{ type: alibaba_cms, endpoint: "${url}", credentials: { access_key_id: LTAIhostile, access_key_secret: s3cret, security_token: sts-s3cret } }`,
    cases: ALL,
    secrets: ['authorization', 'x-acs-security-token'],
  },
  {
    type: 'huawei_aom',
    config: (url) =>
      `{ type: huawei_aom, region: cn-north-4, project_id: p1, endpoint: "${url}", auth_token: "s3cret-token", enterprise_project_id: ep-1 }`,
    cases: ALL,
    secrets: ['x-auth-token', 'authorization'],
  },
  {
    type: 'aws_eventbridge',
    config: (url) =>
      `{ type: aws_eventbridge, region: us-east-1, endpoint: "${url}", credentials: { access_key_id: AKIDHOSTILE, secret_access_key: "hostile-secret", session_token: "hostile-session" } }`,
    cases: ALL,
    secrets: ['authorization', 'x-amz-security-token'],
  },
  {
    type: 'huawei_ces',
    config: (url) => `{ type: huawei_ces, region: cn-north-4, project_id: p1, endpoint: "${url}", auth_token: s3cret-token }`,
    cases: ALL,
    secrets: ['x-auth-token', 'authorization'],
  },
];

let hostile: { server: Server; url: string; answer: Answer | undefined; requests: number };
let other: { server: Server; url: string; requests: { url: string; headers: IncomingMessage['headers'] }[] };

beforeAll(async () => {
  const o = { url: '', requests: [] as { url: string; headers: IncomingMessage['headers'] }[] };
  const otherServer = createServer((req, res) => {
    o.requests.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
  });
  other = { server: otherServer, ...o, url: await listen(otherServer) };
  other.requests = o.requests;
  const h = { answer: undefined as Answer | undefined, requests: 0 };
  const hostileServer = createServer((req, res) => {
    h.requests += 1;
    req.resume();
    req.on('end', () => (h.answer ? h.answer(req, res, other.url) : res.writeHead(500).end()));
  });
  hostile = Object.assign(h, { server: hostileServer, url: await listen(hostileServer) });
});

afterAll(async () => {
  for (const s of [hostile.server, other.server]) {
    s.closeAllConnections();
    await new Promise((ok) => s.close(ok));
  }
});

describe.each(rows)('$type sink against a hostile server', (row) => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await buildSink(row.type, row.config(hostile.url));
  });
  afterAll(async () => {
    await sink.close();
  });

  it.each(row.cases)('%s: nothing counted delivered, nothing sent elsewhere', async (name) => {
    hostile.answer = answers[name];
    const before = other.requests.length;
    const rssBefore = process.memoryUsage().rss;
    const batch = [event(), event(), event()];
    const result = await sink.send(batch, AbortSignal.timeout(20_000));
    expect(result.outcomes).toHaveLength(batch.length);
    for (const o of result.outcomes) expect(o.kind, JSON.stringify(o)).not.toBe('delivered');
    expect(other.requests.length - before).toBe(0);
    // A 256 MiB answer is cut at the sink's cap: far less than the answer is read or held.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    if (name === '256 MiB answer') {
      await until(() => hugeDone);
      expect(hugeWritten).toBeLessThan(HUGE_BYTES / 4);
    }
  });

  it('never carried a configured secret to the other origin', () => {
    for (const r of other.requests) for (const h of row.secrets) expect(r.headers[h]).toBeUndefined();
  });
});

it('covers every hostile case for the cloud sinks', () => {
  for (const r of rows) if (r.type !== 'http') expect(r.cases).toEqual(ALL);
});

async function buildSink(type: string, config: string): Promise<Sink> {
  const loaded = loadConfigText(`sinks: { s: ${config} }\n`, 'hostile.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const sc = loaded.config.sinks.get('s');
  if (sc?.type !== type) throw new Error(`no sink of type ${type}`);
  return sc.create({ logger: silentLogger(), metrics: new Metrics(), baseDir: process.cwd() });
}

function silentLogger(): Logger {
  const l: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  return l;
}

function streamHuge(res: ServerResponse): void {
  res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(HUGE_BYTES) });
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  let sent = 0;
  hugeDone = false;
  const pump = (): void => {
    while (sent < HUGE_BYTES) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    res.removeAllListeners('drain');
    hugeWritten = sent;
    hugeDone = true;
  });
  pump();
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((ok) => setTimeout(ok, 10));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
