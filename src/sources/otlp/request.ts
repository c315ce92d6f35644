/**
 * An export request as the receiver reads it, the same for both encodings: groups of log
 * records sharing a resource and a scope. Records are handed out one at a time, so that a
 * record that cannot be read is rejected on its own and a large request is mapped in slices.
 */
export interface DecodedRequest {
  groups: RecordGroup[];
  /** Log records in the request, over all groups. */
  count: number;
  /** Problems above the record level (a scopeLogs entry that is not an object, ...). */
  notes: string[];
}

export interface RecordGroup {
  /** A raw Resource object, undefined, or why it could not be read. */
  resource: unknown;
  /** A raw InstrumentationScope object, undefined, or why it could not be read. */
  scope: unknown;
  records: RecordList;
}

export interface RecordList {
  readonly length: number;
  /** A raw LogRecord object, or an Undecodable. */
  get(index: number): unknown;
}

/** A part of the request that could not be read; the records it concerns are rejected. */
export class Undecodable {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** Too many log records in one request (answered like a body over max_body). */
export class TooManyRecords {
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
}

/**
 * The groups of a parsed OTLP/JSON request. Only a body that is not an ExportLogsServiceRequest
 * at all fails as a whole (undefined); below the top level a container of the wrong shape holds
 * no readable records: it is noted, its siblings are kept.
 */
export function planJson(request: { resourceLogs?: unknown }, maxRecords: number): DecodedRequest | TooManyRecords | undefined {
  const top = request.resourceLogs;
  if (top !== undefined && top !== null && !Array.isArray(top)) return undefined;
  const out: DecodedRequest = { groups: [], count: 0, notes: [] };
  const note = (reason: string) => {
    if (out.notes.length < MAX_NOTES) out.notes.push(reason);
  };
  for (const [ri, resourceLogs] of entries(top, 'resourceLogs', note)) {
    for (const [si, scopeLogs] of entries(resourceLogs.scopeLogs, `resourceLogs[${ri}].scopeLogs`, note)) {
      const records = scopeLogs.logRecords;
      if (records === undefined || records === null) continue;
      if (!Array.isArray(records)) {
        note(`resourceLogs[${ri}].scopeLogs[${si}].logRecords must be an array`);
        continue;
      }
      out.count += records.length;
      if (out.count > maxRecords) return new TooManyRecords(maxRecords);
      out.groups.push({ resource: resourceLogs.resource, scope: scopeLogs.scope, records: new JsonRecords(records) });
    }
  }
  return out;
}

const MAX_NOTES = 3;

/** The object entries of a container list with their indexes; anything else is noted and skipped. */
function entries(value: unknown, field: string, note: (reason: string) => void): [number, Record<string, unknown>][] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    note(`${field} must be an array`);
    return [];
  }
  const out: [number, Record<string, unknown>][] = [];
  (value as unknown[]).forEach((item, i) => {
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) out.push([i, item as Record<string, unknown>]);
    else note(`${field}[${i}] must be an object`);
  });
  return out;
}

class JsonRecords implements RecordList {
  private readonly items: unknown[];
  constructor(items: unknown[]) {
    this.items = items;
  }
  get length(): number {
    return this.items.length;
  }
  get(index: number): unknown {
    return this.items[index];
  }
}
