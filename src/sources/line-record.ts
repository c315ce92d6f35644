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
    timeUnixNano: 0n,
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
