import type { HttpCallResult } from '../http-call.ts';
import type { SigningClock } from '../signing-clock.ts';
import { probeResult, type ProbeResult } from '../sink.ts';
import { classifyCmsAnswer } from './outcome-classifier.ts';
import { CMS_PROBE_ACTION } from './wire.ts';

/**
 * CloudMonitor's harmless call: DescribeCustomEventAttribute with `PageSize=1`, signed as the
 * sink signs PutCustomEvent (same endpoint, credentials, signature version and signing clock),
 * read by PutCustomEvent's classifier: both answer `Code` "200" on success and the same error JSON.
 */
export async function probeCms(
  call: (action: string, params: Record<string, string>) => Promise<HttpCallResult>,
  clock: SigningClock,
): Promise<ProbeResult> {
  const r = await call(CMS_PROBE_ACTION, { PageSize: '1' });
  return probeResult(CMS_PROBE_ACTION, r.ok ? classifyCmsAnswer(r.reply, 1, clock) : r.failure);
}
