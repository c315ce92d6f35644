import { nowUnixNano, type AnyValue, type Attributes, type LogRecord } from '../model/log-record.ts';
import { detectSeverity } from '../model/severity.ts';

/** One logical line, as a line source or a file format's decoder gives it: what a record is built from. */
export interface Entry {
  /** Position of the entry in its input (a file offset: its identity within the file). */
  offset: number;
  /** The message text (multiline start patterns test it; the body when `body` is absent). */
  text: string;
  /** A structured body (json format with a non-string message). */
  body?: AnyValue;
  timeUnixNano?: bigint;
  severityNumber?: number;
  severityText?: string;
  /** Parsed fields of a structured line (json keys, envelopes). */
  fields?: Attributes;
  /** Record attributes the envelope carries (`log.iostream`). */
  attributes?: Attributes;
}

/**
 * The record an entry becomes, in every source that reads lines: the entry's time, severity (a
 * level word in the text when the format gave none, so `severity: ">= ERROR"` works on
 * unstructured logs too), body and fields, the input's attributes (with the envelope's) and
 * resource.
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

/** A plain text line as an entry: a leading ISO-8601 timestamp is its time. */
export function plainEntry(line: string, offset: number, parseTime = true): Entry {
  const entry: Entry = { offset, text: line };
  if (parseTime) {
    const time = leadingTimestamp(line);
    if (time !== 0n) entry.timeUnixNano = time;
  }
  return entry;
}

/** A plain text line as a LogRecord (stdin, `eval`, rule tests): the record a `plain` file's line becomes. */
export function lineRecord(line: string, attributes: Attributes, origin: string): LogRecord {
  return entryRecord(plainEntry(line, 0), attributes, {}, origin);
}

const ISO_PREFIX = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)/;

/** A line that starts with an ISO-8601 timestamp carries its own event time (UTC when no zone). */
export function leadingTimestamp(line: string): bigint {
  const m = ISO_PREFIX.exec(line);
  const stamp = m?.[1];
  if (stamp === undefined) return 0n;
  let text = stamp.replace(' ', 'T').replace(',', '.');
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return 0n;
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  const subMsNanos = frac.length > 3 ? BigInt(frac.slice(3, 9).padEnd(6, '0')) : 0n;
  return BigInt(ms) * 1_000_000n + subMsNanos;
}
