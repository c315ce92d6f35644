import type { AnyValue, Attributes, InstrumentationScope, LogRecord } from '../../model/log-record.ts';
import type { LongLike, RawAnyValue, RawExportRequest, RawKeyValue, RawLogRecord } from './proto/schema.ts';

/**
 * Maps a decoded export request (protobuf or JSON, same shape) to the LogRecord model, one
 * record at a time, so that one bad record is rejected without failing its neighbours.
 */
export interface MappedRequest {
  records: LogRecord[];
  /** Records that could not be represented (counted for `partial_success`). */
  rejected: number;
  /** The first few reasons, for the `error_message` of `partial_success`. */
  errors: string[];
}

/** Structural problems that make the whole request undecodable (HTTP 400 / INVALID_ARGUMENT). */
export class MalformedRequestError extends Error {}

/** Nesting deeper than this is not a log body, it is an attack on the stack. */
const MAX_DEPTH = 32;
const MAX_REPORTED_ERRORS = 3;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const DECIMAL = /^-?\d+$/;
const ZEROS = /^0+$/;

/** A reason a single record is unusable. */
class RecordError extends Error {}

export interface MapOptions {
  /** Prefix of each record's origin; the record's index in the request is appended. */
  originPrefix: string;
  /** Used when a record carries no observed time. */
  nowUnixNano: bigint;
}

export function mapExportRequest(request: RawExportRequest, options: MapOptions): MappedRequest {
  const out: MappedRequest = { records: [], rejected: 0, errors: [] };
  const reject = (index: number, reason: string) => {
    out.rejected++;
    if (out.errors.length < MAX_REPORTED_ERRORS) out.errors.push(`log record #${index}: ${reason}`);
  };
  let index = 0;
  for (const resourceLogs of list(request.resourceLogs, 'resourceLogs')) {
    let resource: Attributes | RecordError;
    try {
      resource = attributesOf(resourceLogs.resource?.attributes, 0);
    } catch (err) {
      resource = asRecordError(err, 'resource');
    }
    for (const scopeLogs of list(resourceLogs.scopeLogs, 'scopeLogs')) {
      let scope: InstrumentationScope | undefined | RecordError;
      try {
        scope = scopeOf(scopeLogs.scope);
      } catch (err) {
        scope = asRecordError(err, 'scope');
      }
      for (const raw of list(scopeLogs.logRecords, 'logRecords')) {
        const i = index++;
        if (resource instanceof RecordError) {
          reject(i, resource.message);
          continue;
        }
        if (scope instanceof RecordError) {
          reject(i, scope.message);
          continue;
        }
        try {
          out.records.push(mapRecord(raw, resource, scope, `${options.originPrefix}:${i}`, options.nowUnixNano));
        } catch (err) {
          reject(i, asRecordError(err).message);
        }
      }
    }
  }
  return out;
}

function asRecordError(err: unknown, where?: string): RecordError {
  if (err instanceof RecordError) return where ? new RecordError(`${where}: ${err.message}`) : err;
  throw err;
}

function list<T>(value: T[] | undefined | null, field: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedRequestError(`${field} must be an array`);
  for (const item of value) {
    if (item === null || typeof item !== 'object') throw new MalformedRequestError(`${field} must contain objects`);
  }
  return value;
}

function mapRecord(
  raw: RawLogRecord,
  resource: Attributes,
  scope: InstrumentationScope | undefined,
  origin: string,
  now: bigint,
): LogRecord {
  const observed = nanos(raw.observedTimeUnixNano, 'observedTimeUnixNano');
  const record: LogRecord = {
    timeUnixNano: nanos(raw.timeUnixNano, 'timeUnixNano'),
    observedTimeUnixNano: observed === 0n ? now : observed,
    severityNumber: severityNumber(raw.severityNumber),
    severityText: optionalString(raw.severityText, 'severityText'),
    body: raw.body === undefined || raw.body === null ? null : anyValue(raw.body, 0),
    attributes: attributesOf(raw.attributes, 0),
    resource,
    origin,
  };
  if (scope) record.scope = scope;
  const traceId = id(raw.traceId, 16, 'traceId');
  if (traceId !== undefined) record.traceId = traceId;
  const spanId = id(raw.spanId, 8, 'spanId');
  if (spanId !== undefined) record.spanId = spanId;
  const flags = raw.flags ?? 0;
  if (typeof flags !== 'number' || !Number.isInteger(flags)) throw new RecordError('flags must be an integer');
  // The low byte of the record flags carries the W3C trace flags.
  if (traceId !== undefined) record.traceFlags = flags & 0xff;
  return record;
}

function scopeOf(raw: { name?: string; version?: string } | undefined | null): InstrumentationScope | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') throw new RecordError('scope must be an object');
  const name = optionalString(raw.name, 'scope.name');
  const version = optionalString(raw.version, 'scope.version');
  if (name === '' && version === '') return undefined;
  return version === '' ? { name } : { name, version };
}

function optionalString(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new RecordError(`${field} must be a string`);
  return value;
}

/** fixed64 nanoseconds: Long (protobuf), decimal string or safe number (JSON). */
function nanos(value: LongLike | number | string | undefined | null, field: string): bigint {
  if (value === undefined || value === null) return 0n;
  const n = integer(value, field);
  if (n < 0n || n > U64_MAX) throw new RecordError(`${field} out of range`);
  return n;
}

function integer(value: LongLike | number | string, field: string): bigint {
  if (typeof value === 'object') {
    const unsigned = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return value.unsigned ? unsigned : BigInt.asIntN(64, unsigned);
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RecordError(`${field} must be an integer (use a string for 64-bit values)`);
    return BigInt(value);
  }
  if (typeof value === 'string' && DECIMAL.test(value)) return BigInt(value);
  throw new RecordError(`${field} must be an integer`);
}

const SEVERITY_PREFIX = 'SEVERITY_NUMBER_';
const SEVERITY_NAMES = [
  'UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((n) => [n, `${n}2`, `${n}3`, `${n}4`]),
];

function severityNumber(value: number | string | undefined | null): number {
  if (value === undefined || value === null) return 0;
  // Protobuf JSON allows the enum's name in place of its number.
  const n = typeof value === 'string' && value.startsWith(SEVERITY_PREFIX) ? SEVERITY_NAMES.indexOf(value.slice(SEVERITY_PREFIX.length)) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 24) {
    throw new RecordError(`severityNumber ${JSON.stringify(value)} is not a SeverityNumber (0..24)`);
  }
  return n;
}

/** Trace/span id as lower-case hex; undefined when absent (empty or all zeros, per OTLP). */
function id(value: Uint8Array | string | undefined | null, bytes: number, field: string): string | undefined {
  if (value === undefined || value === null || value.length === 0) return undefined;
  let hex: string;
  if (typeof value === 'string') {
    if (value.length !== bytes * 2 || !HEX.test(value)) throw new RecordError(`${field} must be ${bytes * 2} hex digits`);
    hex = value.toLowerCase();
  } else {
    if (value.length !== bytes) throw new RecordError(`${field} must be ${bytes} bytes, got ${value.length}`);
    // protobufjs hands out Buffers under Node; avoid wrapping them again.
    hex = (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)).toString('hex');
  }
  return ZEROS.test(hex) ? undefined : hex;
}

function attributesOf(kvs: RawKeyValue[] | undefined | null, depth: number): Attributes {
  const out: Attributes = {};
  if (kvs === undefined || kvs === null) return out;
  if (!Array.isArray(kvs)) throw new RecordError('attributes must be an array');
  for (const kv of kvs) {
    if (kv === null || typeof kv !== 'object') throw new RecordError('attribute must be an object');
    const key = kv.key;
    if (typeof key !== 'string') throw new RecordError('attribute key must be a string');
    setOwn(out, key, kv.value === undefined || kv.value === null ? null : anyValue(kv.value, depth + 1));
  }
  return out;
}

/** Assigns without letting a key named `__proto__` reach the prototype. */
export function setOwn(target: Record<string, AnyValue>, key: string, value: AnyValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const ANY_VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

function anyValueKind(v: RawAnyValue): (typeof ANY_VALUE_FIELDS)[number] | undefined {
  // Strings first: by far the most common kind.
  for (const field of ANY_VALUE_FIELDS) if (Object.hasOwn(v, field)) return field;
  return undefined;
}

function anyValue(v: RawAnyValue, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new RecordError(`value nested deeper than ${MAX_DEPTH} levels`);
  if (typeof v !== 'object') throw new RecordError('AnyValue must be an object');
  // The member of the oneof that is set is the one present as an own property, in both the
  // protobufjs message (defaults live on its prototype) and parsed JSON.
  const kind = anyValueKind(v);
  switch (kind) {
    case undefined:
      return null;
    case 'stringValue':
      if (typeof v.stringValue !== 'string') throw new RecordError('stringValue must be a string');
      return v.stringValue;
    case 'boolValue':
      if (typeof v.boolValue !== 'boolean') throw new RecordError('boolValue must be a boolean');
      return v.boolValue;
    case 'intValue': {
      const n = integer(v.intValue ?? 0, 'intValue');
      if (n < I64_MIN || n > I64_MAX) throw new RecordError('intValue out of int64 range');
      // The model has no bigint: beyond 2^53 the exact decimal text is kept rather than a rounded number.
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
    case 'doubleValue':
      return double(v.doubleValue);
    case 'arrayValue': {
      const values = v.arrayValue?.values ?? [];
      if (!Array.isArray(values)) throw new RecordError('arrayValue.values must be an array');
      return values.map((item) => anyValue(item, depth + 1));
    }
    case 'kvlistValue':
      return attributesOf(v.kvlistValue?.values, depth);
    case 'bytesValue': {
      const b = v.bytesValue;
      if (b instanceof Uint8Array) return b;
      if (typeof b === 'string' && BASE64.test(b)) return new Uint8Array(Buffer.from(b, 'base64'));
      throw new RecordError('bytesValue must be base64');
    }
  }
}

function double(value: number | string | undefined): number {
  if (typeof value === 'number') return value;
  // Protobuf JSON spells the non-finite doubles as strings, and allows numbers as strings.
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new RecordError('doubleValue must be a number');
}
