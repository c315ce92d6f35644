import { isUtf8 } from 'node:buffer';
import { ExportLogsServiceResponseType, RETRY_INFO_TYPE_URL, RetryInfoType, StatusType } from './proto/schema.ts';
import { planJson, TooManyRecords, type DecodedRequest } from './request.ts';
import { planProtobuf, WireError } from './wire.ts';

/** The two OTLP payload encodings; a reply uses the encoding of its request. */
export type Encoding = 'protobuf' | 'json';

export type DecodeResult =
  | { ok: true; request: DecodedRequest }
  | { ok: false; message: string }
  /** More than `limit` log records: refused before any record is mapped. */
  | { ok: false; message: string; tooManyRecords: number };

/** Reads the envelope of a request; its records are decoded one by one as they are mapped. */
export function decodeRequest(body: Uint8Array, encoding: Encoding, maxRecords = Infinity): DecodeResult {
  const planned = encoding === 'protobuf' ? decodeProtobuf(body, maxRecords) : decodeJson(body, maxRecords);
  if (!(planned instanceof TooManyRecords)) return planned;
  return {
    ok: false,
    message: `request has more than max_records (${planned.limit}) log records; send smaller batches`,
    tooManyRecords: planned.limit,
  };
}

function decodeProtobuf(body: Uint8Array, maxRecords: number): DecodeResult | TooManyRecords {
  try {
    const planned = planProtobuf(body, maxRecords);
    return planned instanceof TooManyRecords ? planned : { ok: true, request: planned };
  } catch (err) {
    if (err instanceof WireError) return { ok: false, message: `invalid protobuf ExportLogsServiceRequest: ${err.message}` };
    throw err;
  }
}

/**
 * JSON.parse materialises everything before a record can be counted: 14 MiB of `{},` is 5 M
 * objects and ~240 MiB of heap. Objects and arrays are counted in the bytes first (a plain loop,
 * ~2 ns per byte; `{` and `[` inside strings count too, which only errs on the safe side). A
 * genuine request of 16 MiB has far fewer: each value of a record costs two or three, in 30-60
 * bytes.
 */
export const MAX_JSON_CONTAINERS = 1_000_000;

function tooManyContainers(body: Uint8Array): boolean {
  if (body.length <= MAX_JSON_CONTAINERS) return false; // cannot hold more than one per byte
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === 0x7b || c === 0x5b) n++;
  }
  return n > MAX_JSON_CONTAINERS;
}

function decodeJson(body: Uint8Array, maxRecords: number): DecodeResult | TooManyRecords {
  if (tooManyContainers(body)) {
    return {
      ok: false,
      message: `request has more than ${MAX_JSON_CONTAINERS} JSON objects and arrays; send smaller batches`,
      tooManyRecords: maxRecords,
    };
  }
  if (!isUtf8(body)) return { ok: false, message: 'invalid JSON ExportLogsServiceRequest: body is not UTF-8' };
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    // A reviver makes JSON.parse several times slower: use it only when the text has a bare
    // integer long enough to lose precision (a false positive only costs time).
    parsed = hasUnsafeInteger(text) ? JSON.parse(text, keepBigIntegers) : JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `invalid JSON ExportLogsServiceRequest: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, message: 'invalid JSON ExportLogsServiceRequest: expected an object' };
  }
  const planned = planJson(parsed, maxRecords);
  if (planned === undefined) return { ok: false, message: 'invalid JSON ExportLogsServiceRequest: resourceLogs must be an array' };
  return planned instanceof TooManyRecords ? planned : { ok: true, request: planned };
}

/**
 * Whether the text has a bare JSON number of 16+ digits (the shortest that can exceed 2^53)
 * after a `:`, `[` or `,`. A loop, not a regex: on megabytes of JSON the regex's many short
 * failed attempts add up to more backtracks than the limit src/rules/regex.ts sets, and V8's
 * linear-time engine then scans the whole text a hundred times slower.
 */
function hasUnsafeInteger(text: string): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x3a && c !== 0x5b && c !== 0x2c) continue; // : [ ,
    let j = i + 1;
    while (j < n && isJsonSpace(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === 0x2d) j++; // -
    const start = j;
    while (j < n && isDigit(text.charCodeAt(j))) j++;
    if (j - start >= 16) return true;
    i = j - 1;
  }
  return false;
}

const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * OTLP/JSON allows int64 as a bare number; beyond 2^53 JSON.parse would round it, so the
 * source text of such an integer is kept (the record mapper reads decimal strings exactly).
 */
function keepBigIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)) {
    return context.source;
  }
  return value;
}

export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/** ExportLogsServiceResponse; `partial_success` only when something was rejected. */
export function encodeExportResponse(partial: PartialSuccess | undefined, encoding: Encoding): Uint8Array {
  if (encoding === 'json') {
    const body = partial ? { partialSuccess: { rejectedLogRecords: String(partial.rejected), errorMessage: partial.errorMessage } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const message = partial ? { partialSuccess: { rejectedLogRecords: partial.rejected, errorMessage: partial.errorMessage } } : {};
  return ExportLogsServiceResponseType.encode(ExportLogsServiceResponseType.fromObject(message)).finish();
}

/** gRPC status codes used by the receiver (also the `code` of a google.rpc.Status body). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** google.rpc.Status, with a google.rpc.RetryInfo detail when the caller should come back later. */
export function encodeStatus(code: GrpcCode, message: string, encoding: Encoding, retryAfterMs?: number): Uint8Array {
  if (encoding === 'json') {
    const details =
      retryAfterMs === undefined ? [] : [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${(retryAfterMs / 1000).toFixed(3)}s` }];
    return Buffer.from(JSON.stringify({ code, message, details }));
  }
  const details =
    retryAfterMs === undefined
      ? []
      : [
          {
            typeUrl: RETRY_INFO_TYPE_URL,
            value: RetryInfoType.encode(RetryInfoType.fromObject({ retryDelay: durationOf(retryAfterMs) })).finish(),
          },
        ];
  return StatusType.encode(StatusType.fromObject({ code, message, details })).finish();
}

function durationOf(ms: number): { seconds: number; nanos: number } {
  const whole = Math.max(0, Math.round(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

export interface DecodedStatus {
  code: number;
  message: string;
  retryDelayMs?: number;
}

/** Reads a protobuf google.rpc.Status (used by tests and clients of the gRPC receiver). */
export function decodeStatus(bytes: Uint8Array): DecodedStatus {
  const status = StatusType.toObject(StatusType.decode(bytes), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: { typeUrl: string; value: Uint8Array }[];
  };
  const out: DecodedStatus = { code: status.code, message: status.message };
  const retry = status.details.find((d) => d.typeUrl === RETRY_INFO_TYPE_URL);
  if (retry) {
    const info = RetryInfoType.toObject(RetryInfoType.decode(retry.value), { longs: Number, defaults: true }) as {
      retryDelay?: { seconds: number; nanos: number };
    };
    if (info.retryDelay) out.retryDelayMs = info.retryDelay.seconds * 1000 + Math.round(info.retryDelay.nanos / 1e6);
  }
  return out;
}
