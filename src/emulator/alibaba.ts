/**
 * Alibaba CloudMonitor `PutCustomEvent` and `DescribeCustomEventAttribute` (RPC style on `/`, API
 * version 2019-01-01). Parameters
 * come from the query and/or an `application/x-www-form-urlencoded` body; requests are signed
 * with RPC v1 (HMAC-SHA1) or ACS3-HMAC-SHA256. What is accepted is the contract the sink checks
 * against (sinks/alibaba-cms/limits.ts); every refusal is all-or-nothing, as at CloudMonitor.
 */
import type { EmulatorContext, ProviderApi } from './api.ts';
import { type EmuRequest, type Reply, decodedPath, header, jsonReply, retryAfterSeconds, upperUuid } from './http.ts';
import { verifyAcs3, verifyRpcV1 } from './alibaba-signature.ts';
import { CMS_MAX_REQUEST_BYTES, CMS_SIGNATURE_MAX_SKEW_MS, cmsEventInfoProblem } from '../sinks/alibaba-cms/limits.ts';
import { CMS_ACTION, CMS_FORM_TYPE, CMS_PROBE_ACTION, CMS_VERSION, type StoredCmsEventInfo } from '../sinks/alibaba-cms/wire.ts';

export type StoredAlibabaEvent = StoredCmsEventInfo;

export function alibabaError(req: EmuRequest, status: number, code: string, message: string, extra: Partial<Reply> = {}): Reply {
  const body = {
    RequestId: upperUuid(),
    HostId: header(req, 'host') ?? 'metrics.aliyuncs.com',
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=Cms`,
  };
  return jsonReply(status, body, 'application/json;charset=utf-8', { errorCode: code, ...extra });
}

const paramsCache = new WeakMap<EmuRequest, Record<string, string>>();

/** Query parameters merged with form-body parameters (the body wins, as on the gateway). */
export function alibabaParams(req: EmuRequest): Record<string, string> {
  let params = paramsCache.get(req);
  if (params) return params;
  params = Object.fromEntries(req.query);
  const type = header(req, 'content-type') ?? '';
  if (type.startsWith(CMS_FORM_TYPE) && req.body.length > 0) {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params[k] = v;
  }
  paramsCache.set(req, params);
  return params;
}

/** Remembers signature nonces for the skew window: a replayed nonce is refused. */
class NonceCache {
  #seen = new Map<string, number>();
  /** Returns false when the nonce was already used. */
  use(nonce: string, now: number): boolean {
    if (this.#seen.size > 10_000) for (const [n, exp] of this.#seen) if (exp < now) this.#seen.delete(n);
    const exp = this.#seen.get(nonce);
    if (exp !== undefined && exp >= now) return false;
    this.#seen.set(nonce, now + 2 * CMS_SIGNATURE_MAX_SKEW_MS);
    return true;
  }
  clear(): void {
    this.#seen.clear();
  }
}

const EVENT_KEY = /^EventInfo\.(\d+)\.(EventName|Content|Time|GroupId)$/;

type ParsedEvents = { ok: true; events: StoredAlibabaEvent[] } | { ok: false; status: number; code: string; message: string };

export function parseEventInfo(params: Record<string, string>, maxEvents: number): ParsedEvents {
  const byIndex = new Map<number, Partial<StoredAlibabaEvent>>();
  for (const [k, v] of Object.entries(params)) {
    const m = EVENT_KEY.exec(k);
    if (!m?.[1] || !m[2]) continue;
    const n = Number(m[1]);
    if (n < 1 || n > maxEvents) {
      return {
        ok: false,
        status: 400,
        code: 'InvalidParameter',
        message: `The parameter EventInfo.${m[1]} is out of range: N must be 1 to ${maxEvents}.`,
      };
    }
    const fields = byIndex.get(n) ?? {};
    fields[m[2] as keyof StoredAlibabaEvent] = v;
    byIndex.set(n, fields);
  }
  if (byIndex.size === 0) return { ok: false, status: 400, code: 'MissingEventInfo', message: 'EventInfo is mandatory for this action.' };
  const events: StoredAlibabaEvent[] = [];
  for (const [n, f] of [...byIndex.entries()].sort(([a], [b]) => a - b)) {
    const p = cmsEventInfoProblem(f);
    if (p?.field === 'EventName' || p?.field === 'Content') {
      return {
        ok: false,
        status: 400,
        code: `MissingEventInfo.${n}.${p.field}`,
        message: `EventInfo.${n}.${p.field} is mandatory for this action.`,
      };
    }
    if (p)
      return {
        ok: false,
        status: 400,
        code: 'InvalidParameter',
        message: `The specified parameter EventInfo.${n}.${p.field} is not valid: ${p.message}.`,
      };
    const { EventName, Content, Time, GroupId } = f;
    if (EventName === undefined || Content === undefined) continue;
    events.push({ EventName, Content, ...(Time !== undefined ? { Time } : {}), ...(GroupId !== undefined ? { GroupId } : {}) });
  }
  return { ok: true, events };
}

const POSITIVE = /^[1-9]\d{0,5}$/;

/** DescribeCustomEventAttribute: the stored events, newest first, by `Name` / `GroupId`, one page. */
function describeCustomEvents(req: EmuRequest, params: Record<string, string>, ctx: EmulatorContext): Reply {
  const { PageSize = '10', PageNumber = '1', Name, GroupId } = params;
  if (!POSITIVE.test(PageSize) || !POSITIVE.test(PageNumber))
    return alibabaError(req, 400, 'InvalidParameter', 'PageSize and PageNumber must be positive integers.');
  const size = Number(PageSize);
  const matching = ctx.events
    .list('alibaba')
    .filter((a) => {
      const e = a.event as StoredAlibabaEvent;
      return (Name === undefined || e.EventName === Name) && (GroupId === undefined || (e.GroupId ?? '0') === GroupId);
    })
    .reverse();
  const page = matching.slice((Number(PageNumber) - 1) * size, Number(PageNumber) * size).map((a) => {
    const e = a.event as StoredAlibabaEvent;
    return { Id: String(a.seq), Name: e.EventName, GroupId: e.GroupId ?? '0', Time: e.Time ?? String(a.received_at), Content: e.Content };
  });
  return jsonReply(
    200,
    { Code: '200', Message: '', RequestId: upperUuid(), Success: 'true', CustomEvents: { CustomEvent: page } },
    'application/json;charset=utf-8',
  );
}

export function createAlibabaApi(): ProviderApi {
  const nonces = new NonceCache();
  return {
    provider: 'alibaba',

    matches: (req) => req.rawPath === '/' && (req.headers['x-acs-action'] !== undefined || 'Action' in alibabaParams(req)),

    isRead: (req) => (header(req, 'x-acs-action') ?? alibabaParams(req).Action) === CMS_PROBE_ACTION,

    authenticate(req, ctx) {
      const creds = ctx.config.credentials.alibaba;
      const secretFor = (ak: string) => (ak === creds.access_key_id ? creds.access_key_secret : undefined);
      const auth = header(req, 'authorization');
      const result = auth?.startsWith('ACS3-')
        ? verifyAcs3({
            method: req.method,
            path: decodedPath(req),
            query: req.query,
            headers: req.headers,
            body: req.body,
            secretFor,
            now: req.receivedAt,
          })
        : verifyRpcV1({ method: req.method, params: alibabaParams(req), secretFor, now: req.receivedAt });
      if (!result.ok) return alibabaError(req, result.code === 'InvalidAccessKeyId.NotFound' ? 404 : 400, result.code, result.message);
      if (!nonces.use(result.nonce, req.receivedAt))
        return alibabaError(req, 400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
      return undefined;
    },

    throttled: (req, retryAfterMs) =>
      alibabaError(req, 400, 'Throttling.User', 'Request was denied due to user flow control.', {
        throttled: true,
        ...(retryAfterMs !== undefined
          ? { headers: { 'x-acs-retry-after': String(retryAfterMs), 'retry-after': retryAfterSeconds(retryAfterMs) } }
          : {}),
      }),

    serverError: (req, status) =>
      status === 503
        ? alibabaError(req, 503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.')
        : alibabaError(req, 500, 'InternalError', 'The request processing has failed due to some unknown error.'),

    handle(req, ctx) {
      const params = alibabaParams(req);
      const action = header(req, 'x-acs-action') ?? params.Action;
      if (action === CMS_PROBE_ACTION && (header(req, 'x-acs-version') ?? params.Version) === CMS_VERSION)
        return describeCustomEvents(req, params, ctx);
      if (action !== CMS_ACTION)
        return alibabaError(req, 404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
      const version = header(req, 'x-acs-version') ?? params.Version;
      if (version !== CMS_VERSION)
        return alibabaError(req, 400, 'InvalidVersion', `Specified parameter Version is not valid (expected ${CMS_VERSION}).`);
      // The user guide's 500 KB per request: the form body and the query together.
      const size = req.body.length + req.query.toString().length;
      if (size > CMS_MAX_REQUEST_BYTES) {
        return alibabaError(
          req,
          400,
          'InvalidParameter',
          `The request is ${size} bytes; PutCustomEvent accepts at most ${CMS_MAX_REQUEST_BYTES} (500 KB).`,
        );
      }
      const parsed = parseEventInfo(params, ctx.config.limits.alibaba.max_events);
      if (!parsed.ok) return alibabaError(req, parsed.status, parsed.code, parsed.message);
      const requestId = upperUuid();
      ctx.events.push('alibaba', req.receivedAt, requestId, parsed.events.length, parsed.events);
      return jsonReply(200, { Code: '200', Message: 'success', RequestId: requestId }, 'application/json;charset=utf-8', {
        accepted: parsed.events.length,
      });
    },

    reset() {
      nonces.clear();
    },
  };
}
