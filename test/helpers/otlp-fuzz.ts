import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { seededRandom } from '../../src/emulator/faults.ts';
import {
  ExportLogsServiceRequestType,
  ExportLogsServiceResponseType,
  LOGS_SERVICE_EXPORT_PATH,
} from '../../src/sources/otlp/proto/schema.ts';

/**
 * A fuzzer for the OTLP receiver of a running agent: valid export requests, one record (the
 * victim, alone in its own ResourceLogs) mutated into a shape OTLP allows or forbids, sent as
 * OTLP/JSON over HTTP, protobuf over HTTP and protobuf over gRPC. The other records are good:
 * whatever the victim looks like, they must be accepted. Shared by test/otlp/fuzz.test.ts and
 * bench/otlp-fuzz.ts.
 */

/** The emulator's mulberry32: the same sequence for the same seed everywhere. */
export const prng = seededRandom;

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);

export type Transport = 'http-json' | 'http-protobuf' | 'grpc';

export interface FuzzCase {
  n: number;
  transport: Transport;
  body: Uint8Array;
  /** Bodies of the good records, each of which must be delivered if the request is accepted. */
  good: string[];
  /** The request's envelope is intact: it must be accepted (200/OK), partially at most. */
  wellFormed: boolean;
  /** What was done to the victim, for the failure message. */
  mutation: string;
  /** Records in the victim's ResourceLogs: the most an accepted well-formed request may reject. */
  victims: number;
}

function victimCount(request: Record<string, any>): number {
  const scopeLogs = request.resourceLogs[1]?.scopeLogs;
  if (!Array.isArray(scopeLogs)) return 0;
  return scopeLogs.reduce((n: number, s: any) => n + (Array.isArray(s?.logRecords) ? s.logRecords.length : 0), 0);
}

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
}

/** Values the OTLP/JSON mapping allows somewhere, forbids, or that are merely odd. */
function hostileJsonValue(rand: Rand): unknown {
  const values: (() => unknown)[] = [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => 1e300,
    () => 2 ** 64,
    () => '',
    () => 'zz',
    () => 'NaN',
    () => '-Infinity',
    () => '18446744073709551616',
    () => '9'.repeat(40),
    () => [],
    () => [null],
    () => Array.from({ length: 16 }, (_, i) => i),
    () => Array.from({ length: 8 }, () => 255),
    () => ({}),
    () => ({ low: 1, high: 2, unsigned: true }),
    () => ({ __proto__: { stringValue: 'x' } }),
    () => JSON.parse('{"__proto__": {"stringValue": "proto"}}'),
    () => ({ stringValue: null }),
    () => ({ stringValue: 5 }),
    () => ({ boolValue: 'true' }),
    () => ({ intValue: '99999999999999999999999' }),
    () => ({ intValue: 1.25 }),
    () => ({ intValue: {} }),
    () => ({ doubleValue: '1e999' }),
    () => ({ doubleValue: 'Infinity' }),
    () => ({ doubleValue: [] }),
    () => ({ bytesValue: '!!not base64' }),
    () => ({ bytesValue: [1, 2, 3] }),
    () => ({ arrayValue: { values: [null] } }),
    () => ({ arrayValue: { values: 'x' } }),
    () => ({ arrayValue: null }),
    () => ({ arrayValue: [] }),
    () => ({ kvlistValue: { values: [{ key: null }] } }),
    () => ({ kvlistValue: { values: [null] } }),
    () => ({
      kvlistValue: {
        values: [
          { key: '__proto__', value: { stringValue: 'p' } },
          { key: 'constructor', value: {} },
        ],
      },
    }),
    () => ({ kvlistValue: 7 }),
    () => nested(20 + int(rand, 40), { stringValue: 'deep' }),
    () => 'x'.repeat(1 + int(rand, 20_000)),
    () => ({ stringValue: '\u0000\ud800 bad surrogate' }),
    () => 'SEVERITY_NUMBER_BOGUS',
    () => 'SEVERITY_NUMBER_ERROR',
    () => '17',
    () => 'ABCDEF0123456789abcdef0123456789',
    () => 'abcdef01234567',
  ];
  return pick(rand, values)();
}

const RECORD_FIELDS = [
  'body',
  'traceId',
  'spanId',
  'flags',
  'severityNumber',
  'severityText',
  'timeUnixNano',
  'observedTimeUnixNano',
  'attributes',
  'attributes[0]',
  'attributes[0].value',
  'attributes[0].key',
  'eventName',
  'droppedAttributesCount',
] as const;

const CONTAINER_MUTATIONS = [
  'record',
  'scope',
  'resource',
  'resource.attributes',
  'logRecords',
  'scopeLogs',
  'scopeLogs[0]',
  'resourceLogs[1]',
  'extra-key',
] as const;

function goodRecord(text: string, i: number): Record<string, unknown> {
  return {
    timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
    severityNumber: 9 + (i % 12),
    severityText: 'INFO',
    body: { stringValue: text },
    attributes: [
      { key: 'n', value: { intValue: String(i) } },
      { key: 'ok', value: { boolValue: true } },
    ],
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    flags: 1,
  };
}

function goodRequest(n: number, records: number): { request: Record<string, any>; good: string[] } {
  const good = Array.from({ length: records }, (_, i) => `good-${n}-${i}`);
  return {
    good,
    request: {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: `fuzz-${n}` } }] },
          scopeLogs: [{ scope: { name: 'fuzz', version: '1' }, logRecords: good.map((t, i) => goodRecord(t, i)) }],
        },
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'victim' } }] },
          scopeLogs: [{ scope: { name: 'victim' }, logRecords: [goodRecord(`victim-${n}`, 99)] }],
        },
      ],
    },
  };
}

/** Sets `path` (as in RECORD_FIELDS) of `target` to `value`. */
function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const parts = path.match(/[^.[\]]+/g)!;
  let cur: any = target;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = /^\d+$/.test(p) ? [] : {};
    cur = cur[p];
  }
  cur[parts.at(-1)!] = value;
}

function mutateJson(rand: Rand, request: Record<string, any>): string {
  const victimResource = request.resourceLogs[1];
  const where = pick(rand, CONTAINER_MUTATIONS);
  const value = hostileJsonValue(rand);
  switch (where) {
    case 'record': {
      const field = pick(rand, RECORD_FIELDS);
      setPath(victimResource.scopeLogs[0].logRecords[0], field, value);
      return `record.${field}`;
    }
    case 'scope':
      victimResource.scopeLogs[0].scope = value;
      return 'scope';
    case 'resource':
      victimResource.resource = value;
      return 'resource';
    case 'resource.attributes':
      victimResource.resource.attributes = [{ key: 'k', value }];
      return 'resource.attributes[0].value';
    case 'logRecords':
      victimResource.scopeLogs[0].logRecords = pick(rand, [value, [value], [value, value]]);
      return 'logRecords';
    case 'scopeLogs':
      victimResource.scopeLogs = value;
      return 'scopeLogs';
    case 'scopeLogs[0]':
      victimResource.scopeLogs[0] = value;
      return 'scopeLogs[0]';
    case 'resourceLogs[1]':
      request.resourceLogs[1] = value;
      return 'resourceLogs[1]';
    case 'extra-key':
      victimResource.scopeLogs[0].logRecords[0][pick(rand, ['unknownField', 'trace_id', 'SeverityNumber', '__proto__'])] = value;
      return 'record.<extra key>';
  }
}

/** Protobuf-expressible oddities: wrong id lengths, out-of-range enums, deep nesting, extremes. */
function mutateProtobufRecord(rand: Rand, record: Record<string, any>): string {
  const mutations: [string, () => void][] = [
    ['traceId length', () => (record.traceId = Buffer.alloc(int(rand, 40), 0xab))],
    ['spanId length', () => (record.spanId = Buffer.alloc(int(rand, 20), 0xcd))],
    [
      'zero ids',
      () => {
        record.traceId = Buffer.alloc(16);
        record.spanId = Buffer.alloc(8);
      },
    ],
    ['severityNumber', () => (record.severityNumber = pick(rand, [-1, 25, 1000, -2147483648, 2147483647]))],
    ['flags', () => (record.flags = pick(rand, [0, 0xffffffff, 0x100]))],
    [
      'times',
      () => {
        record.timeUnixNano = '18446744073709551615';
        record.observedTimeUnixNano = '0';
      },
    ],
    ['intValue extremes', () => (record.body = { intValue: pick(rand, ['-9223372036854775808', '9223372036854775807', '0']) })],
    ['double extremes', () => (record.body = { doubleValue: pick(rand, [NaN, Infinity, -0, 5e-324]) })],
    ['deep body', () => (record.body = nested(10 + int(rand, 35), { stringValue: 'deep' }))],
    ['big body', () => (record.body = { stringValue: 'y'.repeat(1 + int(rand, 20_000)) })],
    ['empty body', () => (record.body = {})],
    ['bytes body', () => (record.body = { bytesValue: Buffer.alloc(int(rand, 64), 7) })],
    ['empty attribute', () => (record.attributes = [{}, { key: '' }, { key: '__proto__', value: { stringValue: 'p' } }])],
    ['many attributes', () => (record.attributes = Array.from({ length: 2000 }, (_, i) => ({ key: `a${i % 7}`, value: { intValue: i } })))],
  ];
  const [name, apply] = pick(rand, mutations);
  apply();
  return name;
}

function encodeProtobuf(request: Record<string, unknown>): Uint8Array {
  return ExportLogsServiceRequestType.encode(ExportLogsServiceRequestType.fromObject(request)).finish();
}

/** Flips, inserts or cuts bytes in [from, body.length): the victim's ResourceLogs (or, for JSON, anywhere). */
function mangleBytes(rand: Rand, body: Uint8Array, from: number): { bytes: Uint8Array; how: string } {
  const bytes = Buffer.from(body);
  const at = () => from + int(rand, Math.max(1, bytes.length - from));
  switch (int(rand, 4)) {
    case 0: {
      const k = 1 + int(rand, 8);
      for (let i = 0; i < k; i++) bytes[Math.min(at(), bytes.length - 1)] = int(rand, 256);
      return { bytes, how: `${k} random bytes` };
    }
    case 1:
      return { bytes: bytes.subarray(0, at()), how: 'truncated' };
    case 2: {
      const i = at();
      return {
        bytes: Buffer.concat([bytes.subarray(0, i), Buffer.from([int(rand, 256), int(rand, 256), 0xff, 0x7f]), bytes.subarray(i)]),
        how: 'inserted bytes',
      };
    }
    default: {
      // The bit patterns of protobuf tags and lengths: the envelope's own structure.
      const i = Math.min(at(), bytes.length - 1);
      bytes[i] = pick(rand, [0x0a, 0x12, 0x80, 0xff, 0x00, 0x08, 0x07, 0x0f]);
      return { bytes, how: 'structure byte' };
    }
  }
}

export function makeCase(rand: Rand, n: number): FuzzCase {
  const transport = pick(rand, ['http-json', 'http-json', 'http-protobuf', 'grpc'] as const);
  const { request, good } = goodRequest(n, 2 + int(rand, 4));
  const byteLevel = rand() < 0.2;
  if (transport === 'http-json') {
    if (byteLevel) {
      const { bytes, how } = mangleBytes(rand, Buffer.from(JSON.stringify(request)), 0);
      return { n, transport, body: bytes, good, wellFormed: false, mutation: `JSON bytes: ${how}`, victims: Infinity };
    }
    const mutation = mutateJson(rand, request);
    return { n, transport, body: Buffer.from(JSON.stringify(request)), good, wellFormed: true, mutation, victims: victimCount(request) };
  }
  // protobufjs's fromObject reads a string for a bytes field as base64: ids as bytes.
  for (const rl of request.resourceLogs) {
    for (const r of rl.scopeLogs[0].logRecords) {
      r.traceId = Buffer.from(r.traceId, 'hex');
      r.spanId = Buffer.from(r.spanId, 'hex');
    }
  }
  const victim = request.resourceLogs[1].scopeLogs[0].logRecords[0];
  const mutation = mutateProtobufRecord(rand, victim);
  const body = encodeProtobuf(request);
  if (!byteLevel) return { n, transport, body, good, wellFormed: true, mutation, victims: 1 };
  // The victim's ResourceLogs is the last field of the request: mangle only its bytes.
  const goodPart = encodeProtobuf({ resourceLogs: [request.resourceLogs[0]] }).length;
  const { bytes, how } = mangleBytes(rand, body, goodPart);
  return { n, transport, body: bytes, good, wellFormed: false, mutation: `${mutation}, then victim bytes: ${how}`, victims: Infinity };
}

export interface Answer {
  /** HTTP status, or for gRPC 200 (OK) / 400 (INVALID_ARGUMENT) / 500 + code otherwise. */
  status: number;
  rejected: number;
  detail: string;
}

export async function send(c: FuzzCase, httpUrl: string, client: grpc.Client): Promise<Answer> {
  if (c.transport === 'grpc') {
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        LOGS_SERVICE_EXPORT_PATH,
        (b: Uint8Array) => Buffer.from(b),
        (b: Buffer) => b,
        c.body,
        (error, response) => {
          if (error) {
            const status = error.code === grpc.status.INVALID_ARGUMENT ? 400 : 500 + error.code;
            resolve({ status, rejected: 0, detail: `${grpc.status[error.code]}: ${error.details}` });
          } else {
            const decoded = ExportLogsServiceResponseType.toObject(ExportLogsServiceResponseType.decode(response!), { longs: Number }) as {
              partialSuccess?: { rejectedLogRecords?: number; errorMessage?: string };
            };
            resolve({
              status: 200,
              rejected: decoded.partialSuccess?.rejectedLogRecords ?? 0,
              detail: decoded.partialSuccess?.errorMessage ?? '',
            });
          }
        },
      );
    });
  }
  const json = c.transport === 'http-json';
  const res = await fetch(httpUrl, {
    method: 'POST',
    body: c.body,
    headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf' },
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) return { status: res.status, rejected: 0, detail: Buffer.from(bytes).toString('utf8').slice(0, 300) };
  if (json) {
    const body = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string };
    };
    return { status: 200, rejected: Number(body.partialSuccess?.rejectedLogRecords ?? 0), detail: body.partialSuccess?.errorMessage ?? '' };
  }
  const decoded = ExportLogsServiceResponseType.toObject(ExportLogsServiceResponseType.decode(bytes), { longs: Number }) as {
    partialSuccess?: { rejectedLogRecords?: number; errorMessage?: string };
  };
  return { status: 200, rejected: decoded.partialSuccess?.rejectedLogRecords ?? 0, detail: decoded.partialSuccess?.errorMessage ?? '' };
}

export interface FuzzReport {
  cases: number;
  byTransport: Record<Transport, number>;
  statuses: Record<string, number>;
  rejectedRecords: number;
  /** Good records the test expects delivered (those of accepted requests). */
  expectedGood: Set<string>;
  failures: string[];
}

/**
 * Runs `cases` cases from `seed` against the receiver, `concurrency` requests in flight.
 * A failure: a 5xx (or a gRPC code other than OK/INVALID_ARGUMENT), a well-formed request not
 * accepted, or an accepted one that rejected more than its victim.
 */
export async function fuzz(opts: {
  seed: number;
  cases: number;
  concurrency: number;
  httpUrl: string;
  grpcTarget: string;
}): Promise<FuzzReport> {
  const rand = prng(opts.seed);
  const client = new grpc.Client(opts.grpcTarget, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const report: FuzzReport = {
    cases: 0,
    byTransport: { 'http-json': 0, 'http-protobuf': 0, grpc: 0 },
    statuses: {},
    rejectedRecords: 0,
    expectedGood: new Set(),
    failures: [],
  };
  let next = 0;
  const worker = async () => {
    while (next < opts.cases) {
      const c = makeCase(rand, next++);
      const answer = await send(c, opts.httpUrl, client);
      report.cases++;
      report.byTransport[c.transport]++;
      report.statuses[answer.status] = (report.statuses[answer.status] ?? 0) + 1;
      const fail = (why: string) =>
        report.failures.push(`case ${c.n} (${c.transport}, ${c.mutation}): ${why}: ${answer.status} ${answer.detail}`);
      if (answer.status >= 500) fail('server error');
      else if (answer.status !== 200 && answer.status !== 400) fail('unexpected status');
      else if (c.wellFormed && answer.status !== 200) fail('a well-formed request was refused');
      if (answer.status === 200) {
        report.rejectedRecords += answer.rejected;
        // Only the victim's records can be rejected; the good ones must all go through.
        if (answer.rejected > c.victims) fail(`rejected ${answer.rejected} records`);
        // Bytes mangled anywhere in a JSON body may have changed a good record's text too.
        if (c.wellFormed || c.transport !== 'http-json') for (const g of c.good) report.expectedGood.add(g);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  client.close();
  return report;
}

/**
 * Polls `url` from a separate process (so that the fuzzer's own work does not delay the
 * answers it measures), one request at a time; `stop()` returns the answers and the slowest.
 */
export function healthProbe(url: string): { stop(): Promise<{ answers: number; failures: number; maxMs: number; p99Ms: number }> } {
  const script = `
    const lat = []; let failures = 0; let on = true;
    process.on('SIGTERM', () => { on = false; });
    (async () => {
      while (on) {
        const t = performance.now();
        try { const r = await fetch(${JSON.stringify(url)}); await r.text(); if (r.status !== 200) failures++; } catch { failures++; }
        lat.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      }
      lat.sort((a, b) => a - b);
      process.stdout.write(JSON.stringify({ answers: lat.length, failures, maxMs: lat.at(-1) ?? 0, p99Ms: lat[Math.floor(lat.length * 0.99)] ?? 0 }));
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await closed;
      return JSON.parse(out) as { answers: number; failures: number; maxMs: number; p99Ms: number };
    },
  };
}
