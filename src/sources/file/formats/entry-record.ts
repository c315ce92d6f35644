import { nowUnixNano, type Attributes, type LogRecord } from '../../../model/log-record.ts';
import { detectSeverity } from '../../../model/severity.ts';
import type { Entry } from './entry.ts';

/**
 * The record a decoded entry becomes, as the tailer builds it: the entry's time, severity
 * (a level word in the text when the format gave none), body and fields, the file's attributes
 * (with the envelope's) and resource.
 */
export function entryRecord(entry: Entry, attributes: Attributes, resource: Attributes, origin: string): LogRecord {
  const record: LogRecord = {
    timeUnixNano: entry.timeUnixNano ?? 0n,
    observedTimeUnixNano: nowUnixNano(),
    severityNumber: entry.severityNumber ?? 0,
    severityText: entry.severityText ?? '',
    body: entry.body ?? entry.text,
    attributes: entry.attributes ? { ...attributes, ...entry.attributes } : attributes,
    resource,
    origin,
  };
  if (entry.severityNumber === undefined) {
    const sev = detectSeverity(entry.text);
    if (sev) {
      record.severityNumber = sev.number;
      record.severityText = sev.text;
    }
  }
  if (entry.fields) record.fields = entry.fields;
  return record;
}
