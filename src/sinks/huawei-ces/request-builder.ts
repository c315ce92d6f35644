import type { Event } from '../../model/event.ts';
import { parseOverrides } from '../override-values.ts';
import type { EntryProblem } from '../sink.ts';
import {
  DIMENSION_NAME,
  MAX_CONTENT,
  MAX_DIMENSION_NAME,
  MAX_DIMENSION_VALUE,
  MAX_DIMENSIONS,
  MAX_EVENT_USER,
  MAX_RESOURCE_ID,
  MAX_RESOURCE_NAME,
  REPORTABLE_EVENT_TYPE,
  REPORTED_SUB_EVENT_TYPE,
  entryProblem,
} from './limits.ts';
import { type CesOverrides, cesOverrides } from './overrides.ts';
import type { CesDetail, CesDimension, CesEntry } from './wire.ts';

/** Code of an event Cloud Eye could never accept (its message names the field). */
export const INVALID_EVENT = 'ces.invalid_event';

export interface CesBuildOptions {
  /** Default resource group (24 characters); a rule's `group_id` wins. */
  groupId?: string | undefined;
}

/**
 * An event as Cloud Eye will get it: the entry (its time still the event's own; the sink fits it
 * into the window when it sends) and the entry's Cloud Eye identity without the time.
 */
export interface CesBuilt {
  entry: CesEntry;
  identity: string;
}

export type CesBuildResult = { ok: true; built: CesBuilt } | { ok: false; problem: EntryProblem };

/**
 * Event → CreateEvents entry: `event_name` = name, `event_source` = source, `time` = event time;
 * detail from content, resource, state, severity (`event_level`), user, group and dimensions;
 * `event_type` EVENT.CUSTOM, `sub_event_type` SUB_EVENT.CUSTOM. The rule's `huawei_ces:` block
 * (typed by overrides.ts) may set any of them. Values Cloud Eye's alphabet does not take are
 * fixed without loss (see `Fixes`); what still breaks a rule is a problem naming the field.
 */
export function buildCesEntry(event: Event, opts: CesBuildOptions = {}): CesBuildResult {
  const parsed = parseOverrides('huawei_ces', cesOverrides, event.overrides.huawei_ces);
  if (!parsed.ok) return { ok: false, problem: { code: INVALID_EVENT, message: parsed.message } };
  const o: CesOverrides = { ...parsed.value, ...parsed.value.detail };
  const fixes = new Fixes();
  const detail: CesDetail = {
    event_state: o.event_state ?? event.state,
    event_level: o.event_level ?? event.severity,
    event_type: o.event_type ?? REPORTABLE_EVENT_TYPE,
    sub_event_type: o.sub_event_type ?? REPORTED_SUB_EVENT_TYPE,
  };
  const resourceId = nonEmpty(o.resource_id) ?? nonEmpty(event.resource.id);
  if (resourceId) detail.resource_id = fixes.text('resource_id', resourceId, /[^A-Za-z0-9_:-]/g, MAX_RESOURCE_ID);
  const resourceName = nonEmpty(o.resource_name) ?? nonEmpty(event.resource.name);
  if (resourceName) detail.resource_name = fixes.text('resource_name', resourceName, /[^\p{L}\p{N}@_.-]/gu, MAX_RESOURCE_NAME);
  const user = nonEmpty(o.event_user) ?? nonEmpty(event.user);
  if (user) detail.event_user = fixes.text('event_user', user, /[^\p{L}\p{N}_\-/ ]/gu, MAX_EVENT_USER);
  const group = o.group_id ?? opts.groupId;
  if (group) detail.group_id = group;
  const dims = fixes.dimensions(o.dimensions ?? Object.entries(event.dimensions).map(([name, value]) => ({ name, value })));
  if (dims.length) detail.dimensions = dims;
  detail.content = fixes.appendTo(o.content ?? event.content);
  const entry: CesEntry = {
    event_name: o.event_name ?? event.name,
    event_source: o.event_source ?? event.source,
    time: o.time ?? event.time,
    detail,
  };
  const problem = entryProblem(entry);
  if (problem) return { ok: false, problem: { code: INVALID_EVENT, message: `${problem.message} (rule "${event.rule}")` } };
  return { ok: true, built: { entry, identity: cesIdentity(entry) } };
}

/**
 * Cloud Eye's identity of an event without its time (seed 001: time, project, source, name, type,
 * sub-type, state, level, user, resource id and resource name; the project is the sink's).
 */
export function cesIdentity(entry: CesEntry): string {
  const d = entry.detail;
  return JSON.stringify([
    entry.event_source,
    entry.event_name,
    d.event_type ?? '',
    d.sub_event_type ?? '',
    d.event_state ?? '',
    d.event_level ?? '',
    d.event_user ?? '',
    d.resource_id ?? '',
    d.resource_name ?? '',
  ]);
}

/**
 * Lossless fixes: a value Cloud Eye's alphabet does not take is sent with `_` for each character
 * it refuses (cut to the field's length), a fifth dimension and beyond are left out, a dimension
 * name is made valid — and every original is kept at the end of the content, as
 * `[log2events fixed: resource_id "order/1"; dimension k8s_node "k8s.node"]`.
 */
class Fixes {
  private readonly notes: string[] = [];

  text(field: string, value: string, refused: RegExp, max: number): string {
    const fixed = value.replace(refused, '_').slice(0, max);
    if (fixed !== value) this.notes.push(`${field} ${JSON.stringify(value)}`);
    return fixed;
  }

  dimensions(dims: readonly CesDimension[]): CesDimension[] {
    const out: CesDimension[] = [];
    const taken = new Set<string>();
    for (const d of dims) {
      if (d.value === '') {
        this.notes.push(`dimension ${JSON.stringify(d.name)} (empty value)`);
        continue;
      }
      if (out.length === MAX_DIMENSIONS) {
        this.notes.push(`dimension ${JSON.stringify(d.name)}=${JSON.stringify(d.value)} (more than ${MAX_DIMENSIONS})`);
        continue;
      }
      const name = uniqueName(dimensionName(d.name), taken);
      taken.add(name);
      if (name !== d.name) this.notes.push(`dimension ${name} ${JSON.stringify(d.name)}`);
      const value = d.value.length > MAX_DIMENSION_VALUE ? d.value.slice(0, MAX_DIMENSION_VALUE) : d.value;
      if (value !== d.value) this.notes.push(`dimension ${name} value ${JSON.stringify(d.value)}`);
      out.push({ name, value });
    }
    return out;
  }

  /** The content with the notes at its end, within Cloud Eye's 4096 characters. */
  appendTo(content: string): string {
    if (this.notes.length === 0) return content.length > MAX_CONTENT ? truncate(content, MAX_CONTENT) : content;
    const note = truncate(` [log2events fixed: ${this.notes.join('; ')}]`, MAX_CONTENT / 2);
    return truncate(content, MAX_CONTENT - note.length) + note;
  }
}

/** `k8s.node` → `k8s_node`, `1st` → `d_1st`: letters, digits, `_`, `-`, starting with a letter, ≤ 32. */
function dimensionName(name: string): string {
  if (DIMENSION_NAME.test(name)) return name;
  let fixed = name.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z]/.test(fixed)) fixed = `d_${fixed}`;
  return fixed.slice(0, MAX_DIMENSION_NAME);
}

function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) {
    const candidate = `${name.slice(0, MAX_DIMENSION_NAME - String(i).length - 1)}_${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Cuts text to `max` characters, ending in `…`, without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end--;
  return `${text.slice(0, end)}…`;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Bytes of the entry in the JSON array (plus its comma), with room for a clamp note. */
export function cesEntrySize(entry: CesEntry): number {
  return Buffer.byteLength(JSON.stringify(entry)) + 1 + CLAMP_NOTE_BYTES;
}

const clampNote = (original: number) => ` [occurred at ${new Date(original).toISOString()}]`;
const CLAMP_NOTE_BYTES = clampNote(0).length;

/** The entry sent at `time` instead of its own (outside the window): the original time ends the content. */
export function clampedEntry(entry: CesEntry, time: number): CesEntry {
  const note = clampNote(entry.time);
  const content = truncate(entry.detail.content ?? '', MAX_CONTENT - note.length) + note;
  return { ...entry, time, detail: { ...entry.detail, content } };
}
