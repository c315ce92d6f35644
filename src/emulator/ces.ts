/**
 * Huawei Cloud Eye events: CreateEvents (`POST /V1.0/{project_id}/events`), ListEvents
 * (`GET /V1.0/{project_id}/events`) and ListEventDetail (`GET /V1.0/{project_id}/event/{name}`).
 * Validation errors use Cloud Eye's v1 form `{"http_code":400,"message":{"details","code"}}`.
 */
import { randomBytes } from 'node:crypto';
import {
  DOCUMENTED_TIME_MARGIN_MS,
  EVENT_LEVELS,
  EVENT_STATES,
  EVENT_TYPES,
  LIST_DEFAULT_SUB_EVENT_TYPE,
  LIST_LIMIT,
  SUB_EVENT_TYPES,
  entryProblem,
  timeProblem,
} from '../sinks/huawei-ces/limits.ts';
import type { CesDetail, CesEntry } from '../sinks/huawei-ces/wire.ts';
import type { ProviderApi } from './api.ts';
import { CES_DEFAULT_RESOURCE_GROUP } from './config.ts';
import { type EmuRequest, type Reply, hexId, jsonReply } from './http.ts';
import { apiNotFound, authenticateHuawei, gatewayThrottled, projectIdOf } from './huawei.ts';

export { EVENT_LEVELS, EVENT_STATES, EVENT_TYPES, SUB_EVENT_TYPES } from '../sinks/huawei-ces/limits.ts';
export type { CesDetail };

export interface StoredCesEvent {
  event_id: string;
  project_id: string;
  event_name: string;
  event_source: string;
  time: number;
  detail: CesDetail;
}

export function cesError(status: number, code: string, details: string): Reply {
  return jsonReply(status, { http_code: status, message: { details, code } }, 'application/json', { errorCode: code });
}

const invalid = (details: string) => cesError(400, 'ces.0014', details);

/**
 * The first rule entry `index` breaks, or undefined: the documented field rules (limits.ts, shared
 * with the sink), the seed's time window around `now`, and a group id this Cloud Eye knows.
 */
export function cesEventProblem(
  raw: unknown,
  index: number,
  now: number,
  groups: ReadonlySet<string> = new Set([CES_DEFAULT_RESOURCE_GROUP]),
): string | undefined {
  const at = `[${index}]`;
  const problem = entryProblem(raw);
  if (problem) return `${at}${problem.field ? '.' : ' '}${problem.message}`;
  const e = raw as CesEntry;
  const late = timeProblem(e.time, now, DOCUMENTED_TIME_MARGIN_MS);
  if (late) return `${at}.${late.message}`;
  if (e.detail.group_id !== undefined && !groups.has(e.detail.group_id))
    return `${at}.detail.group_id "${e.detail.group_id}" does not exist`;
  return undefined;
}

/** The fields that make two reports the same event (per the CreateEvents documentation). */
function dedupeKey(e: Omit<StoredCesEvent, 'event_id'>): string {
  const d = e.detail;
  return JSON.stringify([
    e.time,
    e.project_id,
    e.event_source,
    e.event_name,
    d.event_type ?? 'EVENT.CUSTOM',
    d.sub_event_type ?? 'SUB_EVENT.CUSTOM',
    d.event_state ?? '',
    d.event_level ?? '',
    d.event_user ?? '',
    d.resource_id ?? '',
    d.resource_name ?? '',
  ]);
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
function newEventId(): string {
  let id = 'ev';
  for (const b of randomBytes(21)) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

const typeOf = (e: StoredCesEvent) => e.detail.event_type ?? 'EVENT.CUSTOM';
const subTypeOf = (e: StoredCesEvent) => e.detail.sub_event_type ?? 'SUB_EVENT.CUSTOM';

type Query = { ok: true; value: Record<string, string | number | undefined> } | { ok: false; reply: Reply };

/** Parses the shared query parameters of ListEvents / ListEventDetail. */
function parseListQuery(q: URLSearchParams, extraEnums: Record<string, readonly string[]> = {}): Query {
  const value: Record<string, string | number | undefined> = {};
  const enums: Record<string, readonly string[]> = { event_type: EVENT_TYPES, sub_event_type: SUB_EVENT_TYPES, ...extraEnums };
  for (const [key, allowed] of Object.entries(enums)) {
    const v = q.get(key);
    if (v === null) continue;
    if (!allowed.includes(v)) return { ok: false, reply: invalid(`${key} must be one of ${allowed.join(', ')}`) };
    value[key] = v;
  }
  for (const key of ['from', 'to', 'start', 'limit']) {
    const v = q.get(key);
    if (v === null) continue;
    if (!/^\d+$/.test(v)) return { ok: false, reply: invalid(`${key} must be a non-negative integer`) };
    value[key] = Number(v);
  }
  const limit = (value.limit as number | undefined) ?? LIST_LIMIT.default;
  if (limit < LIST_LIMIT.min || limit > LIST_LIMIT.max) return { ok: false, reply: invalid('limit must be in (0, 100]') };
  // seed 004: system events are SUB_EVENT.OPS or SUB_EVENT.PLAN, custom events SUB_EVENT.CUSTOM.
  const custom = value.sub_event_type === 'SUB_EVENT.CUSTOM';
  if (value.event_type !== undefined && value.sub_event_type !== undefined && (value.event_type === 'EVENT.CUSTOM') !== custom) {
    return {
      ok: false,
      reply: invalid(`sub_event_type ${String(value.sub_event_type)} does not go with event_type ${String(value.event_type)}`),
    };
  }
  value.limit = limit;
  value.start ??= 0;
  if (value.from !== undefined && value.to !== undefined && (value.from as number) >= (value.to as number)) {
    return { ok: false, reply: invalid('from must be earlier than to') };
  }
  return { ok: true, value };
}

function inRange(e: StoredCesEvent, q: Record<string, string | number | undefined>): boolean {
  if (q.from !== undefined && e.time < (q.from as number)) return false;
  if (q.to !== undefined && e.time > (q.to as number)) return false;
  if (q.event_type !== undefined && typeOf(e) !== q.event_type) return false;
  if (q.sub_event_type !== undefined && subTypeOf(e) !== q.sub_event_type) return false;
  return true;
}

export function createCesApi(): ProviderApi & { stored(projectId?: string): StoredCesEvent[] } {
  /** project id → dedupe key → event, in arrival order. */
  let projects = new Map<string, Map<string, StoredCesEvent>>();

  const eventsOf = (projectId: string) => [...(projects.get(projectId)?.values() ?? [])];

  function create(req: EmuRequest, projectId: string, ctx: Parameters<ProviderApi['handle']>[1]): Reply {
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return invalid('The request body is not valid JSON.');
    }
    if (!Array.isArray(body) || body.length === 0) return invalid('The request body must be a non-empty array of events.');
    const max = ctx.config.limits.ces.max_events;
    if (max !== undefined && body.length > max) return invalid(`At most ${max} events can be reported in one request.`);
    const groups = new Set(ctx.config.limits.ces.resource_groups);
    for (const [i, raw] of body.entries()) {
      const problem = cesEventProblem(raw, i, req.receivedAt, groups);
      if (problem) return invalid(problem);
    }
    let store = projects.get(projectId);
    if (!store) projects.set(projectId, (store = new Map()));
    const out: Array<{ event_id: string; event_name: string }> = [];
    const added: StoredCesEvent[] = [];
    for (const raw of body as Array<Omit<StoredCesEvent, 'event_id' | 'project_id'>>) {
      const candidate = {
        project_id: projectId,
        event_name: raw.event_name,
        event_source: raw.event_source,
        time: raw.time,
        detail: raw.detail,
      };
      const key = dedupeKey(candidate);
      const existing = store.get(key);
      if (existing) {
        out.push({ event_id: existing.event_id, event_name: existing.event_name });
        continue;
      }
      const stored: StoredCesEvent = { event_id: newEventId(), ...candidate };
      store.set(key, stored);
      // Bounded like the inspection log: the oldest events leave the query store first.
      const oldest = store.keys().next();
      if (store.size > ctx.config.max_stored_events && !oldest.done) store.delete(oldest.value);
      added.push(stored);
      out.push({ event_id: stored.event_id, event_name: stored.event_name });
    }
    const requestId = hexId();
    ctx.events.push('ces', req.receivedAt, requestId, added.length, added);
    return jsonReply(201, out, 'application/json', { accepted: added.length, headers: { 'x-request-id': requestId } });
  }

  function list(req: EmuRequest, projectId: string): Reply {
    const parsed = parseListQuery(req.query);
    if (!parsed.ok) return parsed.reply;
    // seed 004: a query that names no sub-type lists SUB_EVENT.OPS (custom events stay hidden).
    const q: Record<string, string | number | undefined> = {
      ...parsed.value,
      sub_event_type: parsed.value.sub_event_type ?? LIST_DEFAULT_SUB_EVENT_TYPE,
    };
    const name = req.query.get('event_name');
    if (name !== null && (name.length < 1 || name.length > 64)) return invalid('event_name must have 1 to 64 characters');
    const groups = new Map<
      string,
      {
        event_name: string;
        event_type: string;
        sub_event_type: string;
        event_count: number;
        latest_occur_time: number;
        latest_event_source: string;
      }
    >();
    for (const e of eventsOf(projectId)) {
      if (!inRange(e, q) || (name !== null && e.event_name !== name)) continue;
      const key = `${e.event_name}\0${typeOf(e)}\0${subTypeOf(e)}`;
      const g = groups.get(key);
      if (!g) {
        groups.set(key, {
          event_name: e.event_name,
          event_type: typeOf(e),
          sub_event_type: subTypeOf(e),
          event_count: 1,
          latest_occur_time: e.time,
          latest_event_source: e.event_source,
        });
      } else {
        g.event_count++;
        if (e.time >= g.latest_occur_time) {
          g.latest_occur_time = e.time;
          g.latest_event_source = e.event_source;
        }
      }
    }
    const all = [...groups.values()].sort((a, b) => b.latest_occur_time - a.latest_occur_time || a.event_name.localeCompare(b.event_name));
    const start = q.start as number;
    return jsonReply(200, { events: all.slice(start, start + (q.limit as number)), meta_data: { total: all.length } });
  }

  function detail(req: EmuRequest, projectId: string, eventName: string): Reply {
    if (req.query.get('event_type') === null) return invalid('event_type is mandatory');
    const parsed = parseListQuery(req.query, { event_level: EVENT_LEVELS, event_state: EVENT_STATES });
    if (!parsed.ok) return parsed.reply;
    const q = parsed.value;
    const source = req.query.get('event_source');
    const user = req.query.get('event_user');
    const matching = eventsOf(projectId)
      .filter((e) => e.event_name === eventName && inRange(e, q))
      .filter((e) => (source === null || e.event_source === source) && (user === null || e.detail.event_user === user))
      .filter(
        (e) =>
          (q.event_level === undefined || e.detail.event_level === q.event_level) &&
          (q.event_state === undefined || e.detail.event_state === q.event_state),
      )
      .sort((a, b) => b.time - a.time);
    const start = q.start as number;
    return jsonReply(200, {
      event_name: eventName,
      event_type: q.event_type,
      sub_event_type: q.sub_event_type ?? matching[0]?.detail.sub_event_type ?? 'SUB_EVENT.CUSTOM',
      event_users: [...new Set(matching.map((e) => e.detail.event_user).filter((u): u is string => u !== undefined))],
      event_sources: [...new Set(matching.map((e) => e.event_source))],
      event_info: matching.slice(start, start + (q.limit as number)).map((e) => ({
        event_id: e.event_id,
        event_name: e.event_name,
        event_source: e.event_source,
        time: e.time,
        detail: e.detail,
      })),
      meta_data: { total: matching.length },
    });
  }

  return {
    provider: 'ces',
    matches: (req) =>
      req.segments[0] === 'V1.0' &&
      ((req.segments.length === 3 && req.segments[2] === 'events') || (req.segments.length === 4 && req.segments[2] === 'event')),
    isRead: (req) => req.method === 'GET',
    authenticate: authenticateHuawei,
    throttled: (_req, retryAfterMs) => gatewayThrottled(retryAfterMs),
    serverError: (_req, status) =>
      status === 503
        ? cesError(503, 'ces.0008', 'The service is currently unavailable.')
        : cesError(500, 'ces.0007', 'Internal service error.'),
    handle(req, ctx) {
      const projectId = projectIdOf(req);
      if (projectId === undefined) return invalid('project_id must have 1 to 64 characters');
      if (req.segments[2] === 'events') {
        if (req.method === 'POST') return create(req, projectId, ctx);
        if (req.method === 'GET') return list(req, projectId);
      } else if (req.method === 'GET') {
        return detail(req, projectId, req.segments[3] ?? '');
      }
      return apiNotFound();
    },
    reset() {
      projects = new Map();
    },
    stored: (projectId) => (projectId === undefined ? [...projects.values()].flatMap((m) => [...m.values()]) : eventsOf(projectId)),
  };
}
