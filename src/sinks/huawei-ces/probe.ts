import { probeHuawei } from '../huawei/probe.ts';
import type { HuaweiTarget } from '../huawei/credentials.ts';
import type { ProbeResult } from '../sink.ts';

/** Cloud Eye's harmless call: ListEvents with `limit=1` in the sink's project (a read only). */
export function probeCes(target: HuaweiTarget, signal: AbortSignal): Promise<ProbeResult> {
  const path = `/V1.0/${encodeURIComponent(target.projectId)}/events`;
  return probeHuawei(target, 'ListEvents', { method: 'GET', path, query: { limit: '1' } }, 'events', signal);
}
