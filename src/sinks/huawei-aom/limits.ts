/**
 * AOM PushEvents' documented rules, in one place for the sink (checks before batching) and the
 * emulator (refuses what AOM refuses). Each rule names its source:
 * - seed: ../shared/seeds/002 (API reference "Reporting Events and Alarms", updated 2025-08-07);
 * - SDK: huaweicloud-sdk-python-v3 `huaweicloudsdkaom/v2/model/event_model.py` and
 *   `push_events_request.py`, and the v3 SDKs' CHANGELOG (3.1.120, 2024-11-14);
 * - sheet: PROVIDERS.md (Huawei AOM section and its December 2026 corrections).
 */

/** metadata keys every event must carry (seed, Table 5; SDK EventModel.metadata). */
export const AOM_REQUIRED_METADATA = [
  'event_name',
  'event_severity',
  'event_type',
  'resource_provider',
  'resource_type',
  'resource_id',
] as const;
/** event_severity values (seed; SDK). */
export const AOM_SEVERITIES = ['Critical', 'Major', 'Minor', 'Info'] as const;
/** event_type values: `alarm` stays active until cleared or timed out, `event` is a record (seed; SDK). */
export const AOM_EVENT_TYPES = ['event', 'alarm'] as const;
export type AomSeverity = (typeof AOM_SEVERITIES)[number];
export type AomEventType = (typeof AOM_EVENT_TYPES)[number];

/** Each metadata value: "Length: 1 to 2,048 characters" (seed). */
export const AOM_METADATA_MAX = 2048;
/** `timeout` "Max.: 15 days" (seed). */
export const AOM_MAX_TIMEOUT_MS = 15 * 24 * 3_600_000;
/**
 * Auto-clear period the sink sends when a rule sets none: 5 days, AOM's own default in the seed
 * ("7,200 × 60,000"). The SDK model says 3 days but writes it as "4320 * 1000" (72 minutes), so
 * the seed, the newer and self-consistent text, wins; the sink always sends `timeout`, so the
 * value in force is the configured one, never a guess at AOM's.
 */
export const AOM_DEFAULT_TIMEOUT_MS = 5 * 24 * 3_600_000;

/**
 * The enterprise-project header. The seed names `enterprise-project-id`; SDKs before 3.1.120 sent
 * `x-enterprise-prject-id` (sic), and the v3 CHANGELOG for 3.1.120 (2024-11-14) records PushEvents
 * "+ enterprise-project-id, - x-enterprise-prject-id": today's SDK and the seed agree. The old
 * spelling stays selectable (`enterprise_project_header`).
 */
export const AOM_ENTERPRISE_PROJECT_HEADERS = ['enterprise-project-id', 'x-enterprise-prject-id'] as const;
export type AomEnterpriseProjectHeader = (typeof AOM_ENTERPRISE_PROJECT_HEADERS)[number];

/** Events per request: not documented (sheet), so configurable; 100 by default. */
export const AOM_DEFAULT_MAX_ENTRIES = 100;
/** Body size: not documented (sheet); 1 MiB keeps a request well under API gateway limits. */
export const AOM_MAX_REQUEST_BYTES = 1024 * 1024;
/** `{"events":[]}` around the entries. */
export const AOM_ENVELOPE_BYTES = '{"events":[]}'.length;

/** What AOM answers for a request it cannot take (seed, Example Responses). */
export const AOM_BAD_REQUEST = { status: 400, code: 'AOM.0400', type: 'SC_BAD_REQUEST' } as const;

/** One broken rule: the field (relative to the event) and why. */
export interface AomProblem {
  field: string;
  message: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isMillis = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * The first rule an EventModel breaks, or undefined. `clear`: the request is `?action=clear`.
 * Takes raw JSON (the emulator) as well as a built entry (the sink's check).
 */
export function aomEventProblem(raw: unknown, clear: boolean): AomProblem | undefined {
  if (!isObject(raw)) return { field: '', message: 'must be an object' };
  const md = raw.metadata;
  if (!isObject(md)) return { field: 'metadata', message: 'is mandatory' };
  for (const key of AOM_REQUIRED_METADATA) {
    if (md[key] === undefined || md[key] === '') return { field: `metadata.${key}`, message: 'is mandatory' };
  }
  for (const [key, v] of Object.entries(md)) {
    if (typeof v !== 'string') return { field: `metadata.${key}`, message: 'must be a string' };
    if (v.length < 1 || v.length > AOM_METADATA_MAX)
      return { field: `metadata.${key}`, message: `must be 1 to ${AOM_METADATA_MAX} characters (is ${v.length})` };
  }
  if (!(AOM_SEVERITIES as readonly unknown[]).includes(md.event_severity)) {
    return { field: 'metadata.event_severity', message: `${JSON.stringify(md.event_severity)} is not one of ${AOM_SEVERITIES.join(', ')}` };
  }
  if (!(AOM_EVENT_TYPES as readonly unknown[]).includes(md.event_type)) {
    return { field: 'metadata.event_type', message: `${JSON.stringify(md.event_type)} is not one of ${AOM_EVENT_TYPES.join(', ')}` };
  }
  for (const key of ['starts_at', 'ends_at', 'timeout'] as const) {
    if (raw[key] !== undefined && !isMillis(raw[key])) return { field: key, message: 'must be a non-negative whole number (milliseconds)' };
  }
  if (typeof raw.timeout === 'number' && raw.timeout > AOM_MAX_TIMEOUT_MS)
    return { field: 'timeout', message: `${raw.timeout} ms is more than 15 days` };
  if (!clear && raw.starts_at === undefined) return { field: 'starts_at', message: 'is mandatory when reporting' };
  if (clear && raw.ends_at === undefined) return { field: 'ends_at', message: 'is mandatory when clearing' };
  if (raw.id !== undefined && (typeof raw.id !== 'string' || raw.id === '')) return { field: 'id', message: 'must be a non-empty string' };
  if (clear && raw.id === undefined) return { field: 'id', message: 'is mandatory when clearing (it names the alarm to clear)' };
  for (const key of ['annotations', 'attach_rule'] as const) {
    if (raw[key] !== undefined && !isObject(raw[key])) return { field: key, message: 'must be an object' };
  }
  return undefined;
}
