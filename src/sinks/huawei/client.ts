import { type HttpCallResult, httpCall } from '../http-call.ts';
import type { HuaweiTarget } from './credentials.ts';
import { signHuaweiRequest } from './signer.ts';

export interface HuaweiRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Path after the endpoint, e.g. `/V1.0/{project}/events`. */
  path: string;
  query?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * One call to a Huawei Cloud API: AK/SK-signed (`SDK-HMAC-SHA256`, with `X-Project-Id`) or with
 * `X-Auth-Token`. Signed fresh on every call, so a retry never reuses a stale `X-Sdk-Date`.
 */
export function huaweiCall(target: HuaweiTarget, req: HuaweiRequest, count: number, signal: AbortSignal): Promise<HttpCallResult> {
  const url = new URL(target.endpoint + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const base: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) base['Content-Type'] = 'application/json';
  let headers: Record<string, string>;
  if (target.auth.kind === 'token') {
    headers = { ...base, 'X-Auth-Token': target.auth.token };
  } else {
    headers = signHuaweiRequest({
      method: req.method,
      url,
      headers: base,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ak: target.auth.ak,
      sk: target.auth.sk,
      projectId: target.projectId,
      ...(target.auth.securityToken ? { securityToken: target.auth.securityToken } : {}),
    });
    // fetch sets Host itself from the URL; the signed value is the same.
    delete headers.host;
  }
  return httpCall(url, { method: req.method, headers, ...(req.body !== undefined ? { body: req.body } : {}) }, count, signal);
}
