/**
 * What Cloud Eye and AOM share on Huawei's API gateway: AK/SK (`SDK-HMAC-SHA256`) or
 * `X-Auth-Token` authentication, and the gateway's own error shape `{error_code, error_msg,
 * request_id}` (APIGW.0301 401 bad credentials, APIGW.0308 429 throttling).
 */
import type { EmulatorContext } from './api.ts';
import { type EmuRequest, type Reply, decodedPath, header, hexId, jsonReply, retryAfterSeconds } from './http.ts';
import { verifyHuaweiRequest } from './huawei-verify.ts';

export function gatewayError(status: number, code: string, message: string, extra: Partial<Reply> = {}): Reply {
  const requestId = hexId();
  const { headers, ...rest } = extra;
  return jsonReply(status, { error_code: code, error_msg: message, request_id: requestId }, 'application/json', {
    headers: { 'x-request-id': requestId, ...headers },
    errorCode: code,
    ...rest,
  });
}

export function authenticateHuawei(req: EmuRequest, ctx: EmulatorContext): Reply | undefined {
  const creds = ctx.config.credentials.huawei;
  const token = header(req, 'x-auth-token');
  if (token !== undefined) {
    return token === creds.token
      ? undefined
      : gatewayError(401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail');
  }
  const result = verifyHuaweiRequest({
    method: req.method,
    path: decodedPath(req),
    query: req.query,
    headers: req.headers,
    body: req.body,
    secretFor: (ak) => (ak === creds.ak ? creds.sk : undefined),
    now: req.receivedAt,
  });
  return result.ok ? undefined : gatewayError(401, 'APIGW.0301', `Incorrect IAM authentication information: ${result.message}`);
}

export function gatewayThrottled(retryAfterMs: number | undefined): Reply {
  return gatewayError(
    429,
    'APIGW.0308',
    'The throttling threshold has been reached: policy user over ratelimit, limit:200, time:1 second',
    {
      throttled: true,
      ...(retryAfterMs !== undefined ? { headers: { 'retry-after': retryAfterSeconds(retryAfterMs) } } : {}),
    },
  );
}

/** The gateway's answer for a method/path it does not route (no such API). */
export function apiNotFound(): Reply {
  return gatewayError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');
}

/** `/{version}/{project_id}/...` with a project id of 1–64 characters. */
export function projectIdOf(req: EmuRequest): string | undefined {
  const p = req.segments[1];
  return p !== undefined && p.length >= 1 && p.length <= 64 ? p : undefined;
}
