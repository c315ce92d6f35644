/**
 * Cloud Eye's documented rules for reported events, in one place for the sink and the emulator.
 * Sources: "seed" = the CreateEvents / ListEvents API reference (shared/seeds/001, 004); "SDK" =
 * huaweicloud-sdk-go-v3 services/ces/v1/model (model_event_item_detail.go,
 * model_event_info_detail_resp.go); "sheet" = PROVIDERS.md (its December 2026 corrections).
 */

/** seed: starts with a letter, 1–64 letters, digits, `_`. */
export const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** seed: `service.item`, each part starts with a letter, `[A-Za-z0-9_]`; 3–32 characters in all. */
export const EVENT_SOURCE = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$/;
export const EVENT_SOURCE_LENGTH = { min: 3, max: 32 };
/** seed: content 0–4096 characters. */
export const MAX_CONTENT = 4096;
/** seed: at most 128 letters, digits, `_`, `-`, `:`. */
export const RESOURCE_ID = /^[A-Za-z0-9_:-]{0,128}$/;
export const MAX_RESOURCE_ID = 128;
/** seed: letters, digits, `@`, `_`, `-`, `.`; SDK: Chinese characters too (any letter is taken). ≤ 128. */
export const RESOURCE_NAME = /^[\p{L}\p{N}@_.-]{0,128}$/u;
export const MAX_RESOURCE_NAME = 128;
/** seed: letters, digits, `_`, `-`, spaces; SDK: `/` too. ≤ 64. */
export const EVENT_USER = /^[\p{L}\p{N}_\-/ ]{0,64}$/u;
export const MAX_EVENT_USER = 64;
/** seed: resource group id, 24 characters (e.g. `rg15221211517051YWWkEnVd`); SDK: must exist. */
export const GROUP_ID = /^[A-Za-z0-9]{24}$/;
/** seed. */
export const EVENT_STATES = ['normal', 'warning', 'incident'] as const;
export const EVENT_LEVELS = ['Critical', 'Major', 'Minor', 'Info'] as const;
/** seed: EVENT.SYS cannot be reported by users; only EVENT.CUSTOM. */
export const EVENT_TYPES = ['EVENT.SYS', 'EVENT.CUSTOM'] as const;
export const REPORTABLE_EVENT_TYPE = 'EVENT.CUSTOM';
export const SUB_EVENT_TYPES = ['SUB_EVENT.OPS', 'SUB_EVENT.PLAN', 'SUB_EVENT.CUSTOM'] as const;
/** What this agent reports as (custom events). */
export const REPORTED_SUB_EVENT_TYPE = 'SUB_EVENT.CUSTOM';
/** seed (ListEvents): the sub-type listed when a query names none. */
export const LIST_DEFAULT_SUB_EVENT_TYPE = 'SUB_EVENT.OPS';
/** seed: at most four dimensions; name starts with a letter, 1–32 of `[A-Za-z0-9_-]`; value 1–256. */
export const MAX_DIMENSIONS = 4;
export const DIMENSION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
export const MAX_DIMENSION_NAME = 32;
export const MAX_DIMENSION_VALUE = 256;
/** seed: project id 1–64 characters. */
export const MAX_PROJECT_ID = 64;
/** seed (ListEvents): limit in (0, 100], default 100; start ≥ 0; from < to. */
export const LIST_LIMIT = { min: 1, max: 100, default: 100 };

/**
 * The `time` window, relative to Cloud Eye's clock: [now − 1 h, now + 10 min] less a margin for
 * the transit time. seed: 10 s margins ([now − 1h + 10 s, now + 10 min − 10 s]), which the
 * emulator enforces; SDK: 20 s. The sink keeps a margin of its own (`time_margin`).
 */
export const TIME_WINDOW = { pastMs: 3_600_000, futureMs: 600_000 };
/** seed: the margin Cloud Eye documents on each side. */
export const DOCUMENTED_TIME_MARGIN_MS = 10_000;
/** The sink's default margin inside the window (more than the SDK's 20 s). */
export const DEFAULT_TIME_MARGIN_MS = 30_000;

/**
 * Cloud Eye's whole-request validation codes (400): the request is refused for the content of
 * some entry (sheet: ces.0011 / ces.0013 / ces.0014 are final).
 */
export const VALIDATION_CODES: ReadonlySet<string> = new Set(['ces.0011', 'ces.0013', 'ces.0014']);

/** A broken rule: the field (`detail.resource_id`) and what is wrong with it. */
export interface CesProblem {
  field: string;
  message: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const show = (v: unknown) => {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return JSON.stringify(text !== undefined && text.length > 80 ? `${text.slice(0, 79)}…` : text);
};

function textRule(d: Record<string, unknown>, key: string, pattern: RegExp, rule: string): CesProblem | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) return { field: `detail.${key}`, message: `detail.${key} ${show(v)} is invalid: ${rule}` };
  return undefined;
}

function enumRule(d: Record<string, unknown>, key: string, values: readonly string[]): CesProblem | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !values.includes(v))
    return { field: `detail.${key}`, message: `detail.${key} ${show(v)} must be one of ${values.join(', ')}` };
  return undefined;
}

/** `event_source` rule alone (also checked on a rule's literal `source:` at load). */
export function eventSourceProblem(source: unknown): CesProblem | undefined {
  if (
    typeof source === 'string' &&
    source.length >= EVENT_SOURCE_LENGTH.min &&
    source.length <= EVENT_SOURCE_LENGTH.max &&
    EVENT_SOURCE.test(source)
  )
    return undefined;
  return {
    field: 'event_source',
    message: `event_source ${show(source)} is invalid: use service.item, 3 to 32 characters, each part starting with a letter ([A-Za-z0-9_])`,
  };
}

export function eventNameProblem(name: unknown): CesProblem | undefined {
  if (typeof name === 'string' && EVENT_NAME.test(name)) return undefined;
  return {
    field: 'event_name',
    message: `event_name ${show(name)} is invalid: it must start with a letter and have 1 to 64 letters, digits or underscores`,
  };
}

/**
 * The first rule a CreateEvents entry breaks, except its time (see `timeProblem`): the sink asks
 * it of every event before batching, the emulator of every entry it receives.
 */
export function entryProblem(raw: unknown): CesProblem | undefined {
  if (!isObject(raw)) return { field: '', message: 'an event must be an object' };
  const named = eventNameProblem(raw.event_name) ?? eventSourceProblem(raw.event_source);
  if (named) return named;
  if (typeof raw.time !== 'number' || !Number.isInteger(raw.time))
    return { field: 'time', message: 'time is required and must be epoch milliseconds' };
  const d = raw.detail;
  if (!isObject(d)) return { field: 'detail', message: 'detail is required' };
  if (d.content !== undefined && (typeof d.content !== 'string' || d.content.length > MAX_CONTENT)) {
    return { field: 'detail.content', message: `detail.content must be a string of at most ${MAX_CONTENT} characters` };
  }
  const problem =
    textRule(d, 'group_id', GROUP_ID, 'a resource group id has 24 letters or digits') ??
    textRule(d, 'resource_id', RESOURCE_ID, 'at most 128 letters, digits, _, - and :') ??
    textRule(d, 'resource_name', RESOURCE_NAME, 'at most 128 letters, digits, @, _, - and .') ??
    textRule(d, 'event_user', EVENT_USER, 'at most 64 letters, digits, _, -, / and spaces') ??
    enumRule(d, 'event_state', EVENT_STATES) ??
    enumRule(d, 'event_level', EVENT_LEVELS) ??
    enumRule(d, 'sub_event_type', SUB_EVENT_TYPES);
  if (problem) return problem;
  if (d.event_type !== undefined && d.event_type !== REPORTABLE_EVENT_TYPE) {
    return {
      field: 'detail.event_type',
      message: `detail.event_type ${show(d.event_type)} cannot be reported: only ${REPORTABLE_EVENT_TYPE}`,
    };
  }
  return dimensionsProblem(d.dimensions);
}

function dimensionsProblem(dims: unknown): CesProblem | undefined {
  if (dims === undefined) return undefined;
  if (!Array.isArray(dims)) return { field: 'detail.dimensions', message: 'detail.dimensions must be a list' };
  if (dims.length > MAX_DIMENSIONS)
    return { field: 'detail.dimensions', message: `detail.dimensions has ${dims.length} items; at most ${MAX_DIMENSIONS} are supported` };
  for (const [j, d] of dims.entries()) {
    if (!isObject(d) || typeof d.name !== 'string' || !DIMENSION_NAME.test(d.name)) {
      return {
        field: `detail.dimensions[${j}].name`,
        message: `detail.dimensions[${j}].name ${show(isObject(d) ? d.name : d)} must start with a letter and have 1 to 32 letters, digits, _ or -`,
      };
    }
    if (typeof d.value !== 'string' || d.value.length < 1 || d.value.length > MAX_DIMENSION_VALUE) {
      return {
        field: `detail.dimensions[${j}].value`,
        message: `detail.dimensions[${j}].value must have 1 to ${MAX_DIMENSION_VALUE} characters`,
      };
    }
  }
  return undefined;
}

/** Whether `time` is inside the window around `now`, `marginMs` inside each bound. */
export function inTimeWindow(time: number, now: number, marginMs = 0): boolean {
  return time >= now - TIME_WINDOW.pastMs + marginMs && time <= now + TIME_WINDOW.futureMs - marginMs;
}

export function timeProblem(time: number, now: number, marginMs = 0): CesProblem | undefined {
  if (inTimeWindow(time, now, marginMs)) return undefined;
  const minutes = Math.round(Math.abs(now - time) / 60_000);
  return {
    field: 'time',
    message: `time ${time} is ${minutes} min in the ${time < now ? 'past' : 'future'}: it must be within [now - 1h + ${marginMs / 1000}s, now + 10min - ${marginMs / 1000}s]`,
  };
}
