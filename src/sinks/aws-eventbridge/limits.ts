/**
 * PutEvents' documented limits and the validators built on them, shared by the sink (checked
 * before an event is batched) and the emulator (which refuses what AWS refuses). Each rule names
 * its source:
 * - seed 003: the PutEvents API reference (shared/seeds/003_1ed9e5d0bc7bf3d9.txt);
 * - botocore: `botocore/data/events/2015-10-07/service-2.json` (shapes PutEventsRequestEntry,
 *   PutEventsRequestEntryList, NonPartnerEventBusNameOrArn, TraceHeader, EventResource);
 * - PROVIDERS.md: the provider facts sheet (entry-size rule, the 1 MB limit of January 2026).
 */
import type { EntryProblem } from '../sink.ts';

/** Entries per request: 1–10 (seed 003; botocore PutEventsRequestEntryList min 1, max 10). */
export const MAX_ENTRIES = 10;

/** DetailType: at most 128 characters (seed 003; botocore PutEventsRequestEntry.DetailType). */
export const DETAIL_TYPE_MAX = 128;

/** TraceHeader: 1–500 characters (botocore shape TraceHeader). */
export const TRACE_HEADER_MAX = 500;

/** One Resources item: at most 2048 characters (botocore shape EventResource). */
export const RESOURCE_MAX = 2048;

/** EventBusName: 1–1600 characters (botocore shape NonPartnerEventBusNameOrArn). */
export const EVENT_BUS_MAX = 1600;

/**
 * EventBusName: a bus name or a bus ARN. botocore's NonPartnerEventBusNameOrArn pattern
 * `(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[\.\-_A-Za-z0-9]+`,
 * anchored here: the service matches the whole value.
 */
export const EVENT_BUS_PATTERN = /^(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[.\-_A-Za-z0-9]+$/;

/**
 * Sources starting with `aws.` are reserved for AWS services: a custom event with one is refused
 * per entry with NotAuthorizedForSourceException (EventBridge user guide, event structure).
 */
export const RESERVED_SOURCE_PREFIX = 'aws.';

/**
 * Request size by the entry-size rule: 1 MB in the `aws` partition since 29 January 2026, 256 KB
 * where the documentation still says so (China, GovCloud, isolated partitions) (PROVIDERS.md).
 * "KB"/"MB" are binary here, as AWS's own size calculation for the 256 KB limit is.
 */
export const REQUEST_BYTES_AWS_PARTITION = 1024 * 1024;
export const REQUEST_BYTES_OTHER_PARTITIONS = 256 * 1024;

/**
 * The partition of a region, by AWS's region naming: `cn-*` is aws-cn, `us-gov-*` aws-us-gov,
 * `*-iso*-*` (us-iso-east-1, us-isob-east-1, eu-isoe-west-1, …) the isolated partitions; every
 * other region is the commercial `aws` partition.
 */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-iso' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (/^[a-z]{2}-iso[a-z]*-/.test(region)) return 'aws-iso';
  return 'aws';
}

/** The request limit in force when `max_request_bytes` is not set: 1 MB in `aws`, else 256 KB. */
export function defaultMaxRequestBytes(region: string | undefined): number {
  // Without a region no request can be signed; the commercial limit is as good as any.
  return region === undefined || partitionOf(region) === 'aws' ? REQUEST_BYTES_AWS_PARTITION : REQUEST_BYTES_OTHER_PARTITIONS;
}

/** The fields of an entry that the rules look at; `Time` is a Date (SDK) or epoch seconds (wire). */
export interface EntryFields {
  Time?: Date | number | undefined;
  Source?: string | undefined;
  DetailType?: string | undefined;
  Detail?: string | undefined;
  Resources?: string[] | undefined;
  EventBusName?: string | undefined;
  TraceHeader?: string | undefined;
}

/**
 * The entry-size rule (PROVIDERS.md; AWS "Calculating PutEvents event entry size"): 14 bytes if
 * Time is set, plus the UTF-8 bytes of Source, DetailType, Detail and each Resources item.
 */
export function putEventsEntrySize(e: EntryFields): number {
  let size = e.Time !== undefined ? 14 : 0;
  if (e.Source) size += Buffer.byteLength(e.Source);
  if (e.DetailType) size += Buffer.byteLength(e.DetailType);
  if (e.Detail) size += Buffer.byteLength(e.Detail);
  for (const r of e.Resources ?? []) size += Buffer.byteLength(r);
  return size;
}

/** Detail is "a valid JSON object" (botocore PutEventsRequestEntry.Detail). */
export function isJsonObjectText(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/**
 * Model constraints that AWS checks on the request as a whole (HTTP 400 ValidationException
 * naming the member): EventBusName, TraceHeader, Resources items. `i` is the entry's index.
 */
export function requestConstraintProblem(e: EntryFields, i = 0): EntryProblem | undefined {
  const at = (member: string) => `entries.${i + 1}.member.${member}`;
  if (e.EventBusName !== undefined) {
    if (e.EventBusName.length < 1 || e.EventBusName.length > EVENT_BUS_MAX) {
      return validation(
        `Value at '${at('eventBusName')}' failed to satisfy constraint: Member must have length between 1 and ${EVENT_BUS_MAX}`,
      );
    }
    if (!EVENT_BUS_PATTERN.test(e.EventBusName)) {
      return validation(
        `Value '${clip(e.EventBusName)}' at '${at('eventBusName')}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${EVENT_BUS_PATTERN.source}`,
      );
    }
  }
  if (e.TraceHeader !== undefined && (e.TraceHeader.length < 1 || e.TraceHeader.length > TRACE_HEADER_MAX)) {
    return validation(
      `Value at '${at('traceHeader')}' failed to satisfy constraint: Member must have length between 1 and ${TRACE_HEADER_MAX}`,
    );
  }
  for (const [j, r] of (e.Resources ?? []).entries()) {
    if (r.length > RESOURCE_MAX) {
      return validation(
        `Value at '${at(`resources.${j + 1}.member`)}' failed to satisfy constraint: Member must have length less than or equal to ${RESOURCE_MAX}`,
      );
    }
  }
  return undefined;
}

/**
 * Rules AWS applies to each entry on its own (a failed entry inside a 200): the required fields,
 * DetailType's length, the reserved source prefix, Detail being a JSON object. `detail: false`
 * skips parsing Detail (the sink builds it from an object, so it is one by construction).
 */
export function entryRuleProblem(e: EntryFields, opts: { detail?: boolean } = {}): EntryProblem | undefined {
  for (const f of ['Source', 'DetailType', 'Detail'] as const) {
    if (!e[f]) return { code: 'InvalidArgument', message: `Parameter ${f} is not valid. Reason: ${f} is a required argument.` };
  }
  if ((e.DetailType ?? '').length > DETAIL_TYPE_MAX) {
    return {
      code: 'InvalidArgument',
      message: `Parameter DetailType is not valid. Reason: DetailType is longer than ${DETAIL_TYPE_MAX} characters.`,
    };
  }
  if ((e.Source ?? '').startsWith(RESERVED_SOURCE_PREFIX)) {
    return {
      code: 'NotAuthorizedForSourceException',
      message: `Not authorized for the source: "${clip(e.Source ?? '')}" (the aws. prefix is reserved for AWS services)`,
    };
  }
  if (opts.detail !== false && !isJsonObjectText(e.Detail ?? ''))
    return { code: 'MalformedDetail', message: 'Detail is malformed: it must be a JSON object.' };
  return undefined;
}

/** Every rule for one entry, the entry alone against the request limit included. */
export function entryProblem(e: EntryFields, maxRequestBytes: number, opts: { detail?: boolean } = {}): EntryProblem | undefined {
  const problem = requestConstraintProblem(e) ?? entryRuleProblem(e, opts);
  if (problem) return problem;
  const size = putEventsEntrySize(e);
  if (size > maxRequestBytes) {
    return {
      code: 'ValidationException',
      message: `Total size of the entries in the request is over the limit: this entry alone is ${size} bytes by the entry-size rule, a request carries at most ${maxRequestBytes} (max_request_bytes)`,
    };
  }
  return undefined;
}

function validation(detail: string): EntryProblem {
  return { code: 'ValidationException', message: `1 validation error detected: ${detail}` };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A signing-clock correction this large means the refused request was signed with the wrong time. */
export const CLOCK_CORRECTION_MS = 60_000;
