import { nowUnixNano, type LogRecord } from '../model/log-record.ts';
import { detectSeverity } from '../model/severity.ts';

/**
 * A plain text line as a LogRecord: the line is the body, and a level word near its start
 * (`ERROR`, `WARN`, `level=error`) becomes the severity, so `severity: ">= ERROR"` works on
 * unstructured logs too.
 */
export function lineRecord(line: string, attributes: LogRecord['attributes'], origin?: string): LogRecord {
  const observed = nowUnixNano();
  const sev = detectSeverity(line);
  const record: LogRecord = {
    timeUnixNano: leadingTimestamp(line),
    observedTimeUnixNano: observed,
    severityNumber: sev?.number ?? 0,
    severityText: sev?.text ?? '',
    body: line,
    attributes,
    resource: {},
  };
  if (origin !== undefined) record.origin = origin;
  return record;
}

const ISO_PREFIX = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)/;

/** A line that starts with an ISO-8601 timestamp carries its own event time (UTC when no zone). */
export function leadingTimestamp(line: string): bigint {
  const m = ISO_PREFIX.exec(line);
  if (!m) return 0n;
  let text = m[1]!.replace(' ', 'T').replace(',', '.');
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return 0n;
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  const subMsNanos = frac.length > 3 ? BigInt(frac.slice(3, 9).padEnd(6, '0')) : 0n;
  return BigInt(ms) * 1_000_000n + subMsNanos;
}
