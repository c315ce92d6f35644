import type { HttpReply } from '../http-call.ts';
import { classifyHuaweiError } from '../huawei/error-classifier.ts';
import type { EntryOutcome, SendResult } from '../sink.ts';

/**
 * A CreateEvents answer → one outcome per entry. 201 carries `[{event_id, event_name}]`
 * index-aligned with the request; any other status refused the whole request.
 */
export function classifyCesResponse(reply: HttpReply, count: number, now = Date.now()): SendResult {
  if (reply.status < 200 || reply.status >= 300) return classifyHuaweiError(reply, count, now);
  let ids: unknown;
  try {
    ids = JSON.parse(reply.body);
  } catch {
    ids = undefined;
  }
  const list = Array.isArray(ids) ? ids : [];
  const outcomes: EntryOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const id = (list[i] as { event_id?: unknown } | undefined)?.event_id;
    outcomes.push(typeof id === 'string' ? { kind: 'delivered', providerId: id } : { kind: 'delivered' });
  }
  return { outcomes, throttled: false };
}
