import { type HttpCallResult, httpCall } from '../http-call.ts';
import { allOutcomes } from '../sink.ts';
import type { HuaweiAuth } from './credential-provider.ts';
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
 * `X-Auth-Token`. Signed fresh on every call, so a retry never reuses a stale `X-Sdk-Date`, with
 * credentials asked of the target's provider each time. Credentials that cannot be obtained
 * (IAM or the metadata service down or refusing) make every entry retryable `huawei.credentials`.
 */
export async function huaweiCall(target: HuaweiTarget, req: HuaweiRequest, count: number, signal: AbortSignal): Promise<HttpCallResult> {
  let auth: HuaweiAuth;
  try {
    auth = await untilAborted(target.auth.get(), signal);
  } catch (err) {
    const message = `no credentials: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, failure: { outcomes: allOutcomes(count, { kind: 'retryable', code: 'huawei.credentials', message }), throttled: false } };
  }
  const url = new URL(target.endpoint + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const base: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) base['Content-Type'] = 'application/json';
  let headers: Record<string, string>;
  if (auth.kind === 'token') {
    headers = { ...base, 'X-Auth-Token': auth.token };
  } else {
    headers = signHuaweiRequest({
      method: req.method,
      url,
      headers: base,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ak: auth.ak,
      sk: auth.sk,
      projectId: target.projectId,
      ...(auth.securityToken ? { securityToken: auth.securityToken } : {}),
    });
    // fetch sets Host itself from the URL; the signed value is the same.
    delete headers.host;
  }
  return httpCall(url, { method: req.method, headers, ...(req.body !== undefined ? { body: req.body } : {}) }, count, signal);
}

/** The credentials, unless the send's own deadline passes first (a refresh keeps going for the next call). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('the send was aborted before credentials were available'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('the send timed out waiting for credentials'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
