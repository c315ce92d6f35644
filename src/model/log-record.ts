/**
 * The OpenTelemetry log data model, as every source hands it to the rules.
 * A tailed line and an OTLP record look the same from here on.
 */
export type AnyValue = string | number | boolean | null | Uint8Array | AnyValue[] | { [key: string]: AnyValue };

export type Attributes = Record<string, AnyValue>;

export interface InstrumentationScope {
  name: string;
  version?: string;
}

export interface LogRecord {
  /** Event time in nanoseconds since the epoch; 0n when the source did not know it. */
  timeUnixNano: bigint;
  /** When the agent first saw the record, nanoseconds since the epoch. */
  observedTimeUnixNano: bigint;
  /** OTel SeverityNumber 0..24 (0 = unspecified). */
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: Attributes;
  /** Resource attributes, flat keys as OTel names them (`k8s.pod.name`). */
  resource: Attributes;
  scope?: InstrumentationScope;
  /** Lower-case hex, 32 chars. */
  traceId?: string;
  /** Lower-case hex, 16 chars. */
  spanId?: string;
  traceFlags?: number;
  /**
   * Fields parsed out of a structured line (json format, CRI/docker envelopes). Rules reach
   * them as `fields.<name>`; OTLP records leave it empty.
   */
  fields?: Attributes;
  /**
   * A stable identity of the record within its source (file fingerprint + offset, OTLP request
   * digest + index), so the events derived from it get stable ids across retries and restarts.
   */
  origin?: string;
}

let nowMs = -1;
let nowNano = 0n;
/** Now, in nanoseconds since the epoch (millisecond precision); one BigInt per millisecond, not per record. */
export function nowUnixNano(): bigint {
  const ms = Date.now();
  if (ms !== nowMs) {
    nowMs = ms;
    nowNano = BigInt(ms) * 1_000_000n;
  }
  return nowNano;
}

/** The body as text: strings as they are, other values as JSON. */
export function bodyText(body: AnyValue): string {
  if (typeof body === 'string') return body;
  if (body === null) return '';
  if (body instanceof Uint8Array) return Buffer.from(body).toString('base64');
  if (typeof body === 'object') return JSON.stringify(body, jsonReplacer);
  return String(body);
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

let lastNs = -1n;
let lastMs = 0;
export function recordTimeMs(record: LogRecord): number {
  const ns = record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano;
  // Records of one read share their observed time: divide once per distinct value.
  if (ns !== lastNs) {
    lastNs = ns;
    lastMs = Number(ns / 1_000_000n);
  }
  return lastMs;
}
