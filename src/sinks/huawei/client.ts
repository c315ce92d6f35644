import { type HttpCallResult, type HttpReply, httpCall } from '../http-call.ts';
import { allOutcomes } from '../sink.ts';
import type { HuaweiAuth } from './credential-provider.ts';
import type { HuaweiTarget } from './credentials.ts';
import { authRenewal, parseHuaweiError } from './error-classifier.ts';
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
 * `X-Auth-Token`. Signed fresh on every call with the target's signing clock, so a retry never
 * reuses a stale `X-Sdk-Date`, with credentials asked of the target's provider each time.
 * Credentials that cannot be obtained (IAM or the metadata service down or refusing) make every
 * entry retryable `huawei.credentials`.
 *
 * Two refusals are healed here for every Huawei sink: a signature out of the gateway's 15-minute
 * window (this node's clock is off) sets the signing clock from the answer's `Date` header, and
 * an expired token or temporary AK/SK drops the credential in hand; both come back as retryable
 * outcomes with no delay (the classifier says the same), so the next attempt is signed right.
 */
export async function huaweiCall(target: HuaweiTarget, req: HuaweiRequest, count: number, signal: AbortSignal): Promise<HttpCallResult> {
  let auth: HuaweiAuth;
  try {
    auth = await untilAborted(target.auth.get(), signal);
  } catch (err) {
    const message = `no credentials: ${err instanceof Error ? err.message : String(err)}`;
    return {
      ok: false,
      failure: { outcomes: allOutcomes(count, { kind: 'retryable', code: 'huawei.credentials', message }), throttled: false },
    };
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
      date: new Date(target.clock.now()),
    });
    // fetch sets Host itself from the URL; the signed value is the same.
    delete headers.host;
  }
  const result = await httpCall(url, { method: req.method, headers, ...(req.body !== undefined ? { body: req.body } : {}) }, count, signal);
  if (result.ok) renewAfterRefusal(target, result.reply);
  return result;
}

/** Learns from an authentication refusal what the next call must do differently. */
function renewAfterRefusal(target: HuaweiTarget, reply: HttpReply, receivedAt = Date.now()): void {
  if (reply.status !== 401 && reply.status !== 403) return;
  const renewal = authRenewal(parseHuaweiError(reply));
  if (renewal === 'clock') target.clock.correctFrom(reply.headers.get('date'), receivedAt);
  // A temporary AK/SK past its time gets the same "signature expired" as a skewed clock.
  if (renewal !== undefined) target.auth.invalidate?.();
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
