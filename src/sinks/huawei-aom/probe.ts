import { probeHuawei } from '../huawei/probe.ts';
import type { HuaweiTarget } from '../huawei/credentials.ts';
import type { ProbeResult } from '../sink.ts';
import { AOM_LIST_EVENTS_PROBE_RANGE } from './wire.ts';

/**
 * AOM's harmless call: ListEvents (`POST /v2/{project_id}/events?limit=1`, "query events and
 * alarms", permission `aom:alarm:list`) over the last minute. A POST, but a read: it is the
 * query side of the same events the sink pushes, with the sink's enterprise-project header.
 */
export function probeAom(target: HuaweiTarget, headers: Record<string, string>, signal: AbortSignal): Promise<ProbeResult> {
  const path = `/v2/${encodeURIComponent(target.projectId)}/events`;
  const body = JSON.stringify({ time_range: AOM_LIST_EVENTS_PROBE_RANGE });
  return probeHuawei(target, 'ListEvents', { method: 'POST', path, query: { limit: '1' }, headers, body }, 'events', signal);
}
