import type { AnyValue, Attributes } from '../../../model/log-record.ts';
import { severityNumberOf } from '../../../model/severity.ts';
import type { JsonKeys } from '../config.ts';
import type { Decoder, Entry } from './entry.ts';
import { parseTimestampValue } from './time.ts';

/** Parses a line as a JSON object, or answers undefined (not JSON, or not an object). */
export function parseJsonObject(line: string): Record<string, AnyValue> | undefined {
  const first = line.charCodeAt(0);
  if (first !== 0x7b /* { */ && !/^\s*\{/.test(line)) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, AnyValue>) : undefined;
  } catch {
    return undefined;
  }
}

/** One JSON object per line: message, severity and timestamp come from configured keys; the rest are fields. */
export class JsonDecoder implements Decoder {
  private readonly keys: JsonKeys;
  constructor(keys: JsonKeys) {
    this.keys = keys;
  }

  push(line: string, offset: number): Entry {
    const obj = parseJsonObject(line);
    // A line that is not a JSON object still reaches the rules, as plain text.
    if (!obj) return { offset, text: line };
    const { message_key, severity_key, timestamp_key } = this.keys;
    const fields: Attributes = {};
    for (const key in obj) {
      const value = obj[key];
      if (value !== undefined && key !== message_key && key !== severity_key && key !== timestamp_key) fields[key] = value;
    }
    const entry: Entry = { offset, text: line, fields };
    const message = obj[message_key];
    if (typeof message === 'string') entry.text = message;
    else if (message !== undefined) {
      entry.body = message;
      entry.text = JSON.stringify(message);
    }
    const severity = obj[severity_key];
    if (typeof severity === 'string') {
      entry.severityText = severity;
      entry.severityNumber = severityNumberOf(severity) ?? 0;
    } else if (typeof severity === 'number' && Number.isInteger(severity) && severity >= 0 && severity <= 24) {
      entry.severityNumber = severity;
    }
    const time = parseTimestampValue(obj[timestamp_key]);
    if (time !== undefined) entry.timeUnixNano = time;
    return entry;
  }
  pendingOffset(): undefined {
    return undefined;
  }
  flush(): undefined {
    return undefined;
  }
}
