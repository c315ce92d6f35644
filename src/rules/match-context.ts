import { bodyText, recordTimeMs, type AnyValue, type LogRecord } from '../model/log-record.ts';
import { severityNameOf } from '../model/severity.ts';

const NO_OP = (): void => undefined;

/**
 * What conditions and templates see of one record. Derived values (body text, effective
 * severity) are computed once, on first use.
 */
export class MatchContext {
  readonly record: LogRecord;
  readonly sourceName: string;
  captures: Record<string, string> = {};
  /** Called when a regex of the rule being tested is slow on a long subject (set per rule by the runner). */
  onSlowRegex: () => void = NO_OP;
  private text: string | undefined;

  constructor(record: LogRecord, sourceName: string) {
    this.record = record;
    this.sourceName = sourceName;
  }

  get body(): string {
    return (this.text ??= bodyText(this.record.body));
  }

  get severityNumber(): number {
    return this.record.severityNumber;
  }

  get severityText(): string {
    return this.record.severityText || severityNameOf(this.record.severityNumber);
  }

  get timeMs(): number {
    return recordTimeMs(this.record);
  }
}

/** Looks a key up in a flat attribute map first (`k8s.pod.name`), then as a nested path. */
export function lookup(map: Record<string, AnyValue> | undefined, key: string): AnyValue | undefined {
  if (!map) return undefined;
  if (Object.hasOwn(map, key)) return map[key];
  let cur: AnyValue | undefined = map;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || cur instanceof Uint8Array) return undefined;
    cur = (cur as Record<string, AnyValue>)[part];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Parsed fields, or the keys of a structured (kvlist) body. */
export function fieldLookup(ctx: MatchContext, key: string): AnyValue | undefined {
  const fromFields = lookup(ctx.record.fields, key);
  if (fromFields !== undefined) return fromFields;
  const body = ctx.record.body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && !(body instanceof Uint8Array)) {
    return lookup(body, key);
  }
  return undefined;
}

export function valueText(v: AnyValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return bodyText(v);
}
