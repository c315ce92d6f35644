import type { HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AnyValue, Attributes, LogRecord } from '../model/log-record.ts';
import { setOwn } from '../sources/otlp/records.ts';

const INVALID_TRACE_ID = /^0*$/;

/**
 * One SDK log record in the agent's LogRecord model: the same shape an OTLP receiver produces
 * for the same record, so rules behave alike in library and sidecar mode.
 */
export function recordFromSdk(sdk: ReadableLogRecord, origin: string): LogRecord {
  const record: LogRecord = {
    timeUnixNano: hrTimeToNanos(sdk.hrTime),
    observedTimeUnixNano: hrTimeToNanos(sdk.hrTimeObserved),
    severityNumber: sdk.severityNumber ?? 0,
    severityText: sdk.severityText ?? '',
    body: anyValue(sdk.body),
    attributes: attributes(sdk.attributes),
    resource: attributes(sdk.resource.attributes),
    origin,
  };
  const scope = sdk.instrumentationScope;
  if (scope.name !== '' || scope.version)
    record.scope = scope.version ? { name: scope.name, version: scope.version } : { name: scope.name };
  const span = sdk.spanContext;
  if (span && !INVALID_TRACE_ID.test(span.traceId)) {
    record.traceId = span.traceId.toLowerCase();
    if (!INVALID_TRACE_ID.test(span.spanId)) record.spanId = span.spanId.toLowerCase();
    record.traceFlags = span.traceFlags & 0xff;
  }
  return record;
}

function hrTimeToNanos([seconds, nanos]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

function attributes(attrs: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  if (!attrs) return out;
  for (const [key, value] of Object.entries(attrs)) {
    // The SDK keeps keys whose value is undefined; OTLP would not carry them.
    if (value !== undefined) setOwn(out, key, anyValue(value));
  }
  return out;
}

function anyValue(value: unknown): AnyValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(anyValue);
  if (typeof value === 'object') return attributes(value as Record<string, unknown>);
  // bigint, symbol, function: not log data; keep their text rather than drop the record.
  return String(value);
}
