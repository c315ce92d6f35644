import type { AnyValue, Attributes, InstrumentationScope, LogRecord } from '../../model/log-record.ts';
import type { LongLike, RawAnyValue, RawKeyValue, RawLogRecord } from './proto/schema.ts';
import { Undecodable, type DecodedRequest } from './request.ts';

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

/** Nesting deeper than this is not a log body, it is an attack on the stack. */
const MAX_DEPTH = 32;
const MAX_REPORTED_ERRORS = 3;
/** A reason quotes at most this much of the value it refuses. */
const MAX_QUOTED = 40;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const DECIMAL = /^-?\d+$/;
/** Longer decimal text cannot be a 64-bit integer (and BigInt() of megabytes of digits is slow). */
const MAX_DECIMAL_DIGITS = 24;
const ZEROS = /^0+$/;

/** A reason a single record is unusable. */
class RecordError extends Error {}

export interface MapOptions {
  /** Prefix of each record's origin; the record's index in the request is appended. */
  originPrefix: string;
  /** Used when a record carries no observed time. */
  nowUnixNano: bigint;
}

/**
 * Maps the records of a decoded request a slice at a time (`step`), so that the caller can
 * let the event loop run between the slices of a large request.
 */
export class RequestMapper {
  readonly out: MappedRequest;
  private readonly request: DecodedRequest;
  private readonly options: MapOptions;
  private group = 0;
  private next = 0;
  private index = 0;
  private resource: Attributes | RecordError = {};
  private scope: InstrumentationScope | undefined | RecordError;

  constructor(request: DecodedRequest, options: MapOptions) {
    this.request = request;
    this.options = options;
    this.out = { records: [], rejected: 0, errors: request.notes.slice(0, MAX_REPORTED_ERRORS) };
    this.enterGroup();
  }

  /** Maps up to `max` more records; true while records remain. */
  step(max: number): boolean {
    const groups = this.request.groups;
    let budget = max;
    for (let g = groups[this.group]; g; g = groups[this.group]) {
      const list = g.records;
      while (this.next < list.length) {
        if (budget-- <= 0) return true;
        this.mapOne(list.get(this.next++));
      }
      this.group++;
      this.next = 0;
      this.enterGroup();
    }
    return false;
  }

  private enterGroup(): void {
    const g = this.request.groups[this.group];
    if (!g) return;
    // The groups of one ResourceLogs share its raw resource: map it once.
    const previous = this.request.groups[this.group - 1];
    if (!previous || previous.resource !== g.resource) {
      this.resource = guarded('resource', () => resourceOf(g.resource));
    }
    this.scope = guarded('scope', () => scopeOf(g.scope));
  }

  private mapOne(raw: unknown): void {
    const i = this.index++;
    try {
      if (this.resource instanceof RecordError) throw this.resource;
      if (this.scope instanceof RecordError) throw this.scope;
      if (raw instanceof Undecodable) throw new RecordError(raw.reason);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RecordError(`must be an object, got ${quote(raw)}`);
      this.out.records.push(
        mapRecord(raw as RawLogRecord, this.resource, this.scope, `${this.options.originPrefix}:${i}`, this.options.nowUnixNano),
      );
    } catch (err) {
      this.out.rejected++;
      if (this.out.errors.length < MAX_REPORTED_ERRORS) this.out.errors.push(`log record #${i}: ${reasonOf(err)}`);
    }
  }
}

/** Maps every record at once (tests and benchmarks; the receiver steps through large requests). */
export function mapExportRequest(request: DecodedRequest, options: MapOptions): MappedRequest {
  const mapper = new RequestMapper(request, options);
  while (mapper.step(Number.MAX_SAFE_INTEGER));
  return mapper.out;
}

function guarded<T>(where: string, fn: () => T): T | RecordError {
  try {
    return fn();
  } catch (err) {
    return new RecordError(`${where}: ${reasonOf(err)}`);
  }
}

/** The reason a record is refused: ours, or (a bug, but the record's alone) the error's message. */
function reasonOf(err: unknown): string {
  if (err instanceof RecordError) return err.message;
  if (err instanceof RangeError) return 'value nested too deeply or too large';
  return `unreadable record (${err instanceof Error ? err.message : String(err)})`;
}

function resourceOf(raw: unknown): Attributes {
  if (raw === undefined || raw === null) return {};
  if (raw instanceof Undecodable) throw new RecordError(raw.reason);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new RecordError(`must be an object, got ${quote(raw)}`);
  return attributesOf((raw as { attributes?: RawKeyValue[] }).attributes, 0);
}

/** A value as a reason quotes it: short, whatever it is. */
function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
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
  const flags = flagsOf(raw.flags);
  // The low byte of the record flags carries the W3C trace flags.
  if (traceId !== undefined) record.traceFlags = flags & 0xff;
  return record;
}

/** fixed32: a number (protobuf, JSON) or decimal text (JSON). */
function flagsOf(value: number | string | undefined | null): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'number' ? value : Number(integer(value, 'flags'));
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RecordError(`flags ${quote(value)} is not a fixed32`);
  return n;
}

function scopeOf(value: unknown): InstrumentationScope | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Undecodable) throw new RecordError(value.reason);
  if (typeof value !== 'object' || Array.isArray(value)) throw new RecordError(`must be an object, got ${quote(value)}`);
  const raw = value as { name?: unknown; version?: unknown };
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
  if (isLong(value)) {
    const unsigned = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return value.unsigned ? unsigned : BigInt.asIntN(64, unsigned);
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RecordError(`${field} must be an integer (use a string for 64-bit values)`);
    return BigInt(value);
  }
  if (typeof value === 'string' && value.length <= MAX_DECIMAL_DIGITS && DECIMAL.test(value)) return BigInt(value);
  throw new RecordError(`${field} must be an integer, got ${quote(value)}`);
}

/** A 64-bit integer as protobufjs decodes it; a JSON object with the same keys is not one. */
function isLong(value: unknown): value is LongLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) !== Object.prototype &&
    typeof (value as LongLike).low === 'number' &&
    typeof (value as LongLike).high === 'number'
  );
}

const SEVERITY_PREFIX = 'SEVERITY_NUMBER_';
const SEVERITY_NAMES = [
  'UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((n) => [n, `${n}2`, `${n}3`, `${n}4`]),
];

function severityNumber(value: number | string | undefined | null): number {
  if (value === undefined || value === null) return 0;
  // Protobuf JSON allows the enum's name in place of its number, and integers as decimal text.
  const n =
    typeof value === 'string'
      ? value.startsWith(SEVERITY_PREFIX)
        ? SEVERITY_NAMES.indexOf(value.slice(SEVERITY_PREFIX.length))
        : /^\d{1,2}$/.test(value)
          ? Number(value)
          : -1
      : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 24) {
    throw new RecordError(`severityNumber ${quote(value)} is not a SeverityNumber (0..24)`);
  }
  return n;
}

/** Trace/span id as lower-case hex; undefined when absent (empty or all zeros, per OTLP). */
function id(value: Uint8Array | string | undefined | null, bytes: number, field: string): string | undefined {
  // protobufjs's default for an absent bytes field is an empty array.
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return undefined;
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    // OTLP/JSON spells ids as hex text; a byte array or number is not an id.
    throw new RecordError(`${field} must be ${bytes * 2} hex digits, got ${quote(value)}`);
  }
  if (value.length === 0) return undefined;
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
  for (const kv of kvs as unknown[] as (RawKeyValue | null)[]) {
    if (kv === null || typeof kv !== 'object' || Array.isArray(kv)) throw new RecordError('attribute must be an object');
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
  // Strings first: by far the most common kind. A JSON null is an unset field (protobuf JSON).
  for (const field of ANY_VALUE_FIELDS) if (Object.hasOwn(v, field) && v[field] !== null) return field;
  return undefined;
}

function anyValue(v: RawAnyValue, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new RecordError(`value nested deeper than ${MAX_DEPTH} levels`);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RecordError(`AnyValue must be an object, got ${quote(v)}`);
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
      const values = container(v.arrayValue, 'arrayValue').values ?? [];
      if (!Array.isArray(values)) throw new RecordError('arrayValue.values must be an array');
      const out: AnyValue[] = [];
      for (const item of values) out.push(anyValue(item, depth + 1));
      return out;
    }
    case 'kvlistValue':
      return attributesOf(container(v.kvlistValue, 'kvlistValue').values, depth);
    case 'bytesValue': {
      const b = v.bytesValue;
      if (b instanceof Uint8Array) return b;
      if (typeof b === 'string' && BASE64.test(b)) return new Uint8Array(Buffer.from(b, 'base64'));
      throw new RecordError('bytesValue must be base64');
    }
  }
}

function container<T extends object>(value: T | undefined, field: string): T {
  if (value === undefined || typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RecordError(`${field} must be an object`);
  return value;
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
