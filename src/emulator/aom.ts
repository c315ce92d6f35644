/**
 * Huawei AOM `PUT /v2/{project_id}/push/events` (report) and `?action=clear` (clear), and
 * ListEvents (`POST /v2/{project_id}/events`, query what was reported). Alarms
 * keep state by id: a report of type `alarm` makes an alarm active (with its `id`, or one made
 * up as AOM does), a clear names the alarm it ends by `id` (mandatory, seed 002) and `timeout`
 * auto-clears. Requests are validated by the contract the sink checks against (limits.ts).
 */
import { randomUUID } from 'node:crypto';
import { AOM_BAD_REQUEST, AOM_DEFAULT_TIMEOUT_MS, AOM_ENTERPRISE_PROJECT_HEADERS, aomEventProblem } from '../sinks/huawei-aom/limits.ts';
import { AOM_TIME_RANGE_PATTERN, type AomErrorBody, type AomEvent } from '../sinks/huawei-aom/wire.ts';
import type { EmulatorContext, ProviderApi } from './api.ts';
import { type EmuRequest, type Reply, header, hexId, jsonReply } from './http.ts';
import { apiNotFound, authenticateHuawei, gatewayThrottled, projectIdOf } from './huawei.ts';

export type { AomEvent };

export interface StoredAomEvent extends AomEvent {
  project_id: string;
  action: 'report' | 'clear';
  /** The enterprise-project header, when the request carried one (either spelling). */
  enterprise_project_id?: string;
}

export interface AomAlarm {
  id: string;
  project_id: string;
  /** Project, name and resource: what AOM shows as the same alarm. */
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
  const body: AomErrorBody = { error_code: code, error_msg: message, error_type: type, trace_id: hexId() };
  return jsonReply(status, body, 'application/json', { errorCode: code });
}

const badRequest = (message: string) => aomError(AOM_BAD_REQUEST.status, AOM_BAD_REQUEST.code, message, AOM_BAD_REQUEST.type);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function alarmIdentity(projectId: string, md: Record<string, string>): string {
  return JSON.stringify([projectId, md.event_name, md.resource_provider, md.resource_type, md.resource_id]);
}

function enterpriseProject(req: EmuRequest): string | undefined {
  for (const name of AOM_ENTERPRISE_PROJECT_HEADERS) {
    const v = header(req, name);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** `maxCleared` bounds the history of cleared alarms kept for inspection. */
export function createAomApi(maxCleared: number): ProviderApi & { alarms(now?: number): { active: AomAlarm[]; cleared: AomAlarm[] } } {
  /** Active alarms by id. */
  let active = new Map<string, AomAlarm>();
  let cleared: AomAlarm[] = [];
  const endAlarm = (alarm: AomAlarm) => {
    cleared.push(alarm);
    if (cleared.length > maxCleared) cleared.splice(0, cleared.length - maxCleared);
  };

  /** Moves alarms whose timeout elapsed to the cleared list. */
  function expire(now: number): void {
    for (const [id, alarm] of active) {
      if (alarm.expires_at <= now) {
        active.delete(id);
        endAlarm({ ...alarm, ends_at: alarm.expires_at, cleared_by: 'timeout' });
      }
    }
  }

  function apply(projectId: string, e: AomEvent, clear: boolean, now: number): void {
    if (clear) {
      // The id names the alarm (validated present); a clear of no active alarm changes nothing.
      const alarm = e.id !== undefined ? active.get(e.id) : undefined;
      if (!alarm || alarm.project_id !== projectId) return;
      active.delete(alarm.id);
      endAlarm({ ...alarm, ends_at: e.ends_at ?? now, cleared_by: 'clear' });
      return;
    }
    if (e.metadata.event_type !== 'alarm') return;
    const identity = alarmIdentity(projectId, e.metadata);
    // A report without an id raises the same alarm again if one with its identity is active.
    const previous = e.id !== undefined ? active.get(e.id) : [...active.values()].find((a) => a.identity === identity);
    const timeout = e.timeout && e.timeout > 0 ? e.timeout : AOM_DEFAULT_TIMEOUT_MS;
    const startsAt = e.starts_at ?? now;
    const id = previous?.id ?? e.id ?? randomUUID();
    active.set(id, {
      id,
      project_id: projectId,
      identity,
      metadata: e.metadata,
      ...(e.annotations ? { annotations: e.annotations } : {}),
      starts_at: previous?.starts_at ?? startsAt,
      timeout,
      expires_at: startsAt + timeout,
    });
  }

  /**
   * ListEvents: `type=active_alert` the active alarms, `history_alert` the cleared ones, else
   * every reported event whose start lies in `time_range`; newest first, at most `limit`.
   */
  function listEvents(req: EmuRequest, projectId: string, ctx: EmulatorContext): Reply {
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return badRequest('parse request body failed');
    }
    const range = isObject(body) && typeof body.time_range === 'string' ? AOM_TIME_RANGE_PATTERN.exec(body.time_range) : null;
    if (!range) return badRequest('time_range is mandatory, as start.end.minutes (-1.-1.N: the last N minutes)');
    const limitText = req.query.get('limit') ?? '1000';
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000)
      return badRequest('limit must be an integer from 1 to 1000');
    const now = req.receivedAt;
    expire(now);
    const [from, to] =
      range[1] === '-1' && range[2] === '-1' ? [now - Number(range[3]) * 60_000, now] : [Number(range[1]), Number(range[2])];
    const type = req.query.get('type');
    const found: (AomEvent | AomAlarm)[] =
      type === 'active_alert'
        ? [...active.values()].filter((a) => a.project_id === projectId)
        : type === 'history_alert'
          ? cleared.filter((a) => a.project_id === projectId)
          : ctx.events
              .list('aom')
              .map((a) => a.event as StoredAomEvent)
              .filter((e) => e.project_id === projectId && e.action === 'report' && (e.starts_at ?? 0) >= from && (e.starts_at ?? 0) <= to);
    const events = found
      .sort((a, b) => (b.starts_at ?? 0) - (a.starts_at ?? 0))
      .slice(0, Number(limitText))
      .map((e) => ({
        id: e.id,
        starts_at: e.starts_at,
        ends_at: e.ends_at ?? 0,
        timeout: e.timeout,
        metadata: e.metadata,
        annotations: e.annotations ?? {},
      }));
    return jsonReply(200, { events, page_info: { current_count: events.length, next_marker: '' } });
  }

  return {
    provider: 'aom',
    matches: (req) =>
      req.segments[0] === 'v2' &&
      ((req.segments.length === 4 && req.segments[2] === 'push' && req.segments[3] === 'events') ||
        (req.segments.length === 3 && req.segments[2] === 'events')),
    isRead: (req) => req.segments.length === 3,
    authenticate: authenticateHuawei,
    throttled: (_req, retryAfterMs) => gatewayThrottled(retryAfterMs),
    serverError: (_req, status) =>
      status === 503
        ? aomError(503, 'AOM.0503', 'service unavailable', 'SC_SERVICE_UNAVAILABLE')
        : aomError(500, 'AOM.0500', 'internal server error', 'SC_INTERNAL_SERVER_ERROR'),
    handle(req, ctx) {
      const list = req.segments.length === 3;
      if (req.method !== (list ? 'POST' : 'PUT')) return apiNotFound();
      const projectId = projectIdOf(req);
      if (projectId === undefined) return badRequest('project_id is invalid');
      if (list) return listEvents(req, projectId, ctx);
      if (!(header(req, 'content-type') ?? '').startsWith('application/json')) return badRequest('Content-Type must be application/json');
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        return badRequest('parse eventParam failed');
      }
      if (!isObject(body) || !Array.isArray(body.events) || body.events.length === 0)
        return badRequest('parse eventParam failed: events is mandatory');
      const max = ctx.config.limits.aom.max_events;
      if (max !== undefined && body.events.length > max) return badRequest(`at most ${max} events per request`);
      const clear = req.query.get('action') === 'clear';
      for (const [i, raw] of body.events.entries()) {
        const problem = aomEventProblem(raw, clear);
        if (problem)
          return badRequest(`parse eventParam failed: events[${i}]${problem.field ? `.${problem.field}` : ''} ${problem.message}`);
      }
      const now = req.receivedAt;
      expire(now);
      const requestId = hexId();
      const project = enterpriseProject(req);
      const stored: StoredAomEvent[] = [];
      for (const e of body.events as AomEvent[]) {
        apply(projectId, e, clear, now);
        stored.push({
          ...e,
          project_id: projectId,
          action: clear ? 'clear' : 'report',
          ...(project !== undefined ? { enterprise_project_id: project } : {}),
        });
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
