/**
 * What CloudMonitor's PutCustomEvent accepts, in one place for the sink (checked before an event
 * is batched) and the emulator (refused on arrival). Sources, named on each rule:
 * - [API ref]  PutCustomEvent API reference (seeds/000, "Cloud Monitor:PutCustomEvent", Jan 2026);
 * - [metadata] Alibaba's CMS 2019-01-01 API metadata (api-docs.json, `PutCustomEvent`): EventInfo
 *   is a `repeatList` with `maxItems: 50`; EventName and Content `required: true`; Time and
 *   GroupId optional strings; no length or pattern given for any field;
 * - [guide]    the CloudMonitor user guide as summarised in PROVIDERS.md: up to 100 events and
 *   500 KB per request, 20 requests/s per account;
 * - [common]   Alibaba's common parameters / signature docs: Timestamp valid for 15 minutes.
 */
import type { CmsEventInfo } from './wire.ts';

/** [metadata] `maxItems: 50`, [API ref] "Valid values of N: 1 to 50": the default per request. */
export const CMS_DEFAULT_MAX_EVENTS = 50;
/** [guide] up to 100 events per request: the most `batch.max_entries` may ask for. */
export const CMS_MAX_EVENTS = 100;
/** [guide] 500 KB per request, read as 1000-based (the stricter reading). */
export const CMS_MAX_REQUEST_BYTES = 500_000;
/** Room kept in every request for the common and signature parameters (~600 bytes at most). */
export const CMS_COMMON_PARAMS_ALLOWANCE = 2048;
/** [common] a request signed further than this from the server's clock is refused as expired. */
export const CMS_SIGNATURE_MAX_SKEW_MS = 15 * 60 * 1000;

/** Code of an event the sink will not send (a dead letter of that one event). */
export const CMS_INVALID_EVENT = 'cms.invalid_event';

/** [API ref] Time: `yyyyMMddTHHmmss.SSSZ` (Z = ±HHMM, e.g. `20171013T170923.456+0800`) or epoch ms. */
const TIME_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})([+-])(\d{2})(\d{2})$/;
/** Latest instant a Time may name: 9999-12-31T23:59:59.999Z (four-digit years of the pattern). */
export const CMS_MAX_TIME_MS = 253_402_300_799_999;

/**
 * A Time value as epoch ms, or undefined when it is neither form or names no real instant
 * (month 13, 25 o'clock, an offset beyond ±14:00, before 1970 or after year 9999).
 */
export function parseCmsTime(value: string): number | undefined {
  if (/^\d{1,16}$/.test(value)) {
    const ms = Number(value);
    return ms <= CMS_MAX_TIME_MS ? ms : undefined;
  }
  const m = TIME_PATTERN.exec(value);
  if (!m) return undefined;
  const n = (i: number): number => Number(m[i]);
  const [y, mo, d, h, mi, s, ms, oh, om] = [n(1), n(2), n(3), n(4), n(5), n(6), n(7), n(9), n(10)] as const;
  const sign = m[8] === '-' ? -1 : 1;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || oh > 14 || om > 59) return undefined;
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls 31 February over into March: a day the month does not have is no date.
  if (new Date(local).getUTCDate() !== d) return undefined;
  const at = local - sign * (oh * 60 + om) * 60_000;
  return at >= 0 && at <= CMS_MAX_TIME_MS ? at : undefined;
}

/**
 * [API ref] GroupId: the application group's id, `0` (the default) for none. Group ids are
 * 64-bit integers in the same metadata (CreateGroupMetricRules.GroupId: integer, int64).
 */
const GROUP_ID = /^\d{1,19}$/;
export function isCmsGroupId(value: string): boolean {
  return GROUP_ID.test(value) && BigInt(value) <= 9_223_372_036_854_775_807n;
}

export interface CmsFieldProblem {
  /** `EventName`, `Content`, `Time`, `GroupId`. */
  field: keyof CmsEventInfo;
  message: string;
}

/**
 * The first rule one EventInfo breaks, or undefined. `maxEntryBytes`: the most one entry may take
 * of a request (the request limit less the common parameters), as counted by `size`.
 */
export function cmsEventInfoProblem(info: Partial<CmsEventInfo>, maxEntryBytes?: number, size?: number): CmsFieldProblem | undefined {
  // [metadata] EventName and Content are required; an empty value is no value on the gateway.
  if (!info.EventName) return { field: 'EventName', message: 'EventName is empty: PutCustomEvent requires a name' };
  if (!info.Content) return { field: 'Content', message: 'Content is empty: PutCustomEvent requires content' };
  if (info.Time !== undefined && parseCmsTime(info.Time) === undefined) {
    return {
      field: 'Time',
      message: `Time ${JSON.stringify(info.Time.slice(0, 40))} is not yyyyMMddTHHmmss.SSSZ or epoch milliseconds of a real date (1970 to 9999)`,
    };
  }
  if (info.GroupId !== undefined && !isCmsGroupId(info.GroupId)) {
    return {
      field: 'GroupId',
      message: `GroupId ${JSON.stringify(info.GroupId.slice(0, 40))} is not an application group id (a 64-bit number; 0 = none)`,
    };
  }
  // [guide] 500 KB per request: an event that cannot fit one request alone can never be sent.
  if (maxEntryBytes !== undefined && size !== undefined && size > maxEntryBytes) {
    return {
      field: 'Content',
      message: `the event takes ${size} bytes encoded; a PutCustomEvent request carries at most ${CMS_MAX_REQUEST_BYTES} (Content is too long)`,
    };
  }
  return undefined;
}
