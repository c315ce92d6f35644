import protobuf from 'protobufjs';
import { InstrumentationScopeType, LogRecordType, ResourceType } from './proto/schema.ts';
import { TooManyRecords, Undecodable, type DecodedRequest, type RecordGroup, type RecordList } from './request.ts';

/**
 * Reads the envelope of a protobuf ExportLogsServiceRequest (resource_logs → scope_logs →
 * log_records) at the wire level, without decoding the records: the record count is known
 * (and capped) before any record is materialised, and each record is decoded on its own when
 * the mapper asks for it, so that a corrupt record is rejected alone.
 *
 * Field numbers are those of opentelemetry-proto (see proto/schema.ts). Fields of a wrong wire
 * type are skipped as unknown; several occurrences of a singular message field (resource,
 * scope) are merged, as protobuf specifies, by decoding their concatenation.
 */
export function planProtobuf(body: Uint8Array, maxRecords: number): DecodedRequest | TooManyRecords {
  const reader = protobuf.Reader.create(body);
  const groups: RecordGroup[] = [];
  const resourceLogs: [number, number][] = [];
  let count = 0;
  // Each walk collects ranges first and descends after: they share the reader's position.
  walk(reader, 0, body.length, (field, s, e) => {
    if (field === 1) resourceLogs.push([s, e]);
  });
  for (const [rStart, rEnd] of resourceLogs) {
    const resourceParts: [number, number][] = [];
    const scopeLogs: [number, number][] = [];
    walk(reader, rStart, rEnd, (field, s, e) => {
      if (field === 1) resourceParts.push([s, e]);
      else if (field === 2) scopeLogs.push([s, e]);
    });
    const resource = resourceParts.length === 0 ? undefined : decodeParts(ResourceType, body, resourceParts, 'resource');
    for (const [sStart, sEnd] of scopeLogs) {
      const scopeParts: [number, number][] = [];
      const starts: number[] = [];
      const ends: number[] = [];
      const complete = walk(reader, sStart, sEnd, (field, s, e) => {
        if (field === 1) scopeParts.push([s, e]);
        else if (field === 2) {
          if (++count > maxRecords) return false;
          starts.push(s);
          ends.push(e);
        }
        return true;
      });
      if (!complete) return new TooManyRecords(maxRecords);
      const scope = scopeParts.length === 0 ? undefined : decodeParts(InstrumentationScopeType, body, scopeParts, 'scope');
      groups.push({ resource, scope, records: new WireRecords(body, starts, ends) });
    }
  }
  return { groups, count, notes: [] };
}

/** Malformed wire data in the envelope: the request cannot be read at all. */
export class WireError extends Error {}

/**
 * Calls `onField(field, start, end)` for each length-delimited field of the message in
 * [start, end), skipping the others; stops early (returning false) when it returns false.
 */
function walk(
  reader: protobuf.Reader,
  start: number,
  end: number,
  onField: (field: number, start: number, end: number) => unknown,
): boolean {
  reader.pos = start;
  try {
    while (reader.pos < end) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 0) throw new WireError('field number 0');
      if (wireType === 2) {
        const length = reader.uint32();
        const s = reader.pos;
        if (length > end - s) throw new WireError(`length ${length} runs past the end of its message`);
        reader.pos = s + length;
        if (onField(field, s, s + length) === false) return false;
      } else {
        reader.skipType(wireType);
      }
    }
  } catch (err) {
    throw err instanceof WireError ? err : new WireError((err as Error).message);
  }
  if (reader.pos !== end) throw new WireError('a field runs past the end of its message');
  return true;
}

function decodeParts(type: protobuf.Type, body: Uint8Array, parts: [number, number][], what: string): unknown {
  try {
    const only = parts.length === 1 ? parts[0] : undefined;
    const bytes = only ? body.subarray(only[0], only[1]) : Buffer.concat(parts.map(([s, e]) => body.subarray(s, e)));
    return type.decode(bytes);
  } catch (err) {
    return new Undecodable(`invalid protobuf ${what}: ${reasonOf(err)}`);
  }
}

function reasonOf(err: unknown): string {
  return err instanceof RangeError && /call stack/.test(err.message) ? 'nested too deeply' : (err as Error).message;
}

/** Log records decoded on demand from their byte ranges. */
class WireRecords implements RecordList {
  private readonly reader: protobuf.Reader;
  private readonly starts: number[];
  private readonly ends: number[];

  constructor(body: Uint8Array, starts: number[], ends: number[]) {
    this.reader = protobuf.Reader.create(body);
    this.starts = starts;
    this.ends = ends;
  }

  get length(): number {
    return this.starts.length;
  }

  get(index: number): unknown {
    const start = this.starts[index];
    const end = this.ends[index];
    if (start === undefined || end === undefined) return new Undecodable(`no log record ${index}`);
    this.reader.pos = start;
    try {
      return LogRecordType.decode(this.reader, end - start);
    } catch (err) {
      return new Undecodable(`invalid protobuf LogRecord: ${reasonOf(err)}`);
    }
  }
}
