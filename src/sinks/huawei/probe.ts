import { clip } from '../clip.ts';
import { probeResult, type ProbeResult, UNRECOGNISED_ANSWER } from '../sink.ts';
import { huaweiCall, type HuaweiRequest } from './client.ts';
import type { HuaweiTarget } from './credentials.ts';
import { authRenewal, parseHuaweiError } from './error-classifier.ts';

/**
 * One harmless read call through the sink's own target (endpoint, project, signer, credentials,
 * signing clock). A 2xx JSON object holding `answerKey` proves them; an error answer is read
 * as the sink's classifier reads it, so the provider's code and message are reported.
 */
export async function probeHuawei(
  target: HuaweiTarget,
  call: string,
  req: HuaweiRequest,
  answerKey: string,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const r = await huaweiCall(target, req, 1, signal);
  if (!r.ok) return probeResult(call, r.failure);
  const { status, body } = r.reply;
  if (status >= 200 && status < 300) {
    if (holdsKey(body, answerKey)) return { ok: true, call };
    return {
      ok: false,
      call,
      code: UNRECOGNISED_ANSWER,
      message: `HTTP ${status} without "${answerKey}": ${JSON.stringify(clip(body, 200))}; check the endpoint`,
    };
  }
  const e = parseHuaweiError(r.reply);
  // huaweiCall has already corrected the signing clock or dropped the expired credential.
  const retryNow = authRenewal(e) !== undefined;
  return { ok: false, call, code: e.code, message: `${e.message} (HTTP ${status})`, ...(retryNow ? { retryNow } : {}) };
}

function holdsKey(body: string, key: string): boolean {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) && key in v;
  } catch {
    return false;
  }
}
