/**
 * Huawei AOM `PUT /v2/{project_id}/push/events` (report) and `?action=clear` (clear). Alarms
 * keep state: a report makes an alarm active, a clear with the same identity (event_name +
 * resource_provider + resource_type + resource_id, or its id) ends it, `timeout` auto-clears.
 */
import type { AomEvent } from '../sinks/huawei-aom/wire.ts';
import { randomUUID } from 'node:crypto';
import type { ProviderApi } from './api.ts';
import { type Reply, header, hexId, jsonReply } from './http.ts';
import { apiNotFound, authenticateHuawei, gatewayThrottled, projectIdOf } from './huawei.ts';

export const AOM_REQUIRED_METADATA = ['event_name', 'event_severity', 'event_type', 'resource_provider', 'resource_type', 'resource_id'] as const;
export const AOM_SEVERITIES = ['Critical', 'Major', 'Minor', 'Info'] as const;
export const AOM_EVENT_TYPES = ['event', 'alarm'] as const;
export const AOM_MAX_TIMEOUT_MS = 15 * 24 * 3_600_000;
export const AOM_DEFAULT_TIMEOUT_MS = 5 * 24 * 3_600_000;
const METADATA_MAX = 2048;

export type { AomEvent };

export interface StoredAomEvent extends AomEvent {
  project_id: string;
  action: 'report' | 'clear';
}

export interface AomAlarm {
  id: string;
  project_id: string;
  identity: string;
  metadata: Record<string, string>;
  annotations?: Record<string, unknown>;
  starts_at: number;
  timeout: number;
  /** When the alarm clears by itself (starts_at + timeout). */
  expires_at: number;
  ends_at?: number;
  cleared_by?: 'clear' | 'timeout';
}

export function aomError(status: number, code: string, message: string, type: string): Reply {
  return jsonReply(status, { error_code: code, error_msg: message, error_type: type, trace_id: hexId() }, 'application/json', { errorCode: code });
}

const badRequest = (message: string) => aomError(400, 'AOM.0400', message, 'SC_BAD_REQUEST');

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isMillis = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Returns the first rule the event breaks, or undefined. */
export function aomEventProblem(raw: unknown, i: number, clear: boolean): string | undefined {
  const at = `events[${i}]`;
  if (!isObject(raw)) return `${at} must be an object`;
  const md = raw.metadata;
  if (!isObject(md)) return `${at}.metadata is mandatory`;
  for (const key of AOM_REQUIRED_METADATA) {
    const v = md[key];
    if (typeof v !== 'string' || v.length === 0) return `${at}.metadata.${key} is mandatory`;
  }
  for (const [key, v] of Object.entries(md)) {
    if (typeof v !== 'string' || v.length < 1 || v.length > METADATA_MAX) return `${at}.metadata.${key} must be a string of 1 to ${METADATA_MAX} characters`;
  }
  if (!(AOM_SEVERITIES as readonly unknown[]).includes(md.event_severity)) return `${at}.metadata.event_severity must be one of ${AOM_SEVERITIES.join(', ')}`;
  if (!(AOM_EVENT_TYPES as readonly unknown[]).includes(md.event_type)) return `${at}.metadata.event_type must be one of ${AOM_EVENT_TYPES.join(', ')}`;
  for (const key of ['starts_at', 'ends_at', 'timeout'] as const) {
    if (raw[key] !== undefined && !isMillis(raw[key])) return `${at}.${key} must be a non-negative integer (milliseconds)`;
  }
  if (!clear && raw.starts_at === undefined) return `${at}.starts_at is mandatory when reporting`;
  if (clear && raw.ends_at === undefined) return `${at}.ends_at is mandatory when clearing`;
  if (typeof raw.timeout === 'number' && raw.timeout > AOM_MAX_TIMEOUT_MS) return `${at}.timeout must be at most 15 days`;
  for (const key of ['annotations', 'attach_rule'] as const) {
    if (raw[key] !== undefined && !isObject(raw[key])) return `${at}.${key} must be an object`;
  }
  if (raw.id !== undefined && typeof raw.id !== 'string') return `${at}.id must be a string`;
  return undefined;
}

export function alarmIdentity(projectId: string, md: Record<string, string>): string {
  return JSON.stringify([projectId, md.event_name, md.resource_provider, md.resource_type, md.resource_id]);
}

/** `maxCleared` bounds the history of cleared alarms kept for inspection. */
export function createAomApi(maxCleared: number): ProviderApi & { alarms(now?: number): { active: AomAlarm[]; cleared: AomAlarm[] } } {
  let active = new Map<string, AomAlarm>();
  let cleared: AomAlarm[] = [];
  const endAlarm = (alarm: AomAlarm) => {
    cleared.push(alarm);
    if (cleared.length > maxCleared) cleared.splice(0, cleared.length - maxCleared);
  };

  /** Moves alarms whose timeout elapsed to the cleared list. */
  function expire(now: number): void {
    for (const [key, alarm] of active) {
      if (alarm.expires_at <= now) {
        active.delete(key);
        endAlarm({ ...alarm, ends_at: alarm.expires_at, cleared_by: 'timeout' });
      }
    }
  }

  function apply(projectId: string, e: AomEvent, clear: boolean, now: number): void {
    const identity = alarmIdentity(projectId, e.metadata);
    if (clear) {
      const byId = e.id !== undefined ? [...active.values()].find((a) => a.id === e.id) : undefined;
      const alarm = byId ?? active.get(identity);
      if (!alarm) return;
      active.delete(alarm.identity);
      endAlarm({ ...alarm, ends_at: e.ends_at ?? now, cleared_by: 'clear' });
      return;
    }
    if (e.metadata.event_type !== 'alarm') return;
    const timeout = e.timeout && e.timeout > 0 ? e.timeout : AOM_DEFAULT_TIMEOUT_MS;
    const startsAt = e.starts_at ?? now;
    const previous = active.get(identity);
    active.set(identity, {
      id: previous?.id ?? e.id ?? randomUUID(),
      project_id: projectId,
      identity,
      metadata: e.metadata,
      ...(e.annotations ? { annotations: e.annotations } : {}),
      starts_at: previous?.starts_at ?? startsAt,
      timeout,
      expires_at: startsAt + timeout,
    });
  }

  return {
    provider: 'aom',
    matches: (req) => req.segments[0] === 'v2' && req.segments.length === 4 && req.segments[2] === 'push' && req.segments[3] === 'events',
    authenticate: authenticateHuawei,
    throttled: (_req, retryAfterMs) => gatewayThrottled(retryAfterMs),
    serverError: (_req, status) =>
      status === 503
        ? aomError(503, 'AOM.0503', 'service unavailable', 'SC_SERVICE_UNAVAILABLE')
        : aomError(500, 'AOM.0500', 'internal server error', 'SC_INTERNAL_SERVER_ERROR'),
    handle(req, ctx) {
      if (req.method !== 'PUT') return apiNotFound();
      const projectId = projectIdOf(req);
      if (projectId === undefined) return badRequest('project_id is invalid');
      if (!(header(req, 'content-type') ?? '').startsWith('application/json')) return badRequest('Content-Type must be application/json');
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        return badRequest('parse eventParam failed');
      }
      if (!isObject(body) || !Array.isArray(body.events) || body.events.length === 0) return badRequest('parse eventParam failed: events is mandatory');
      const max = ctx.config.limits.aom.max_events;
      if (max !== undefined && body.events.length > max) return badRequest(`at most ${max} events per request`);
      const clear = req.query.get('action') === 'clear';
      for (const [i, raw] of body.events.entries()) {
        const problem = aomEventProblem(raw, i, clear);
        if (problem) return badRequest(problem);
      }
      const now = req.receivedAt;
      expire(now);
      const requestId = hexId();
      const stored: StoredAomEvent[] = [];
      for (const e of body.events as AomEvent[]) {
        apply(projectId, e, clear, now);
        stored.push({ ...e, project_id: projectId, action: clear ? 'clear' : 'report' });
      }
      ctx.events.push('aom', now, requestId, stored.length, stored);
      return { status: 204, headers: { 'x-request-id': requestId }, accepted: body.events.length };
    },
    reset() {
      active = new Map();
      cleared = [];
    },
    alarms(now = Date.now()) {
      expire(now);
      return { active: [...active.values()], cleared: [...cleared] };
    },
  };
}
