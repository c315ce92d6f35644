import type { HttpReply } from '../http-call.ts';
import { classifyHuaweiError } from '../huawei/error-classifier.ts';
import { type EntryOutcome, type SendResult, unrecognisedAnswer } from '../sink.ts';
import { VALIDATION_CODES } from './limits.ts';

const ACCEPTANCE = 'HTTP 201 with a JSON array of {event_id, event_name}, one per event';

/**
 * A CreateEvents answer → one outcome per entry.
 * - 201 with `[{event_id, event_name}]`, one per entry in request order: delivered, with the ids.
 * - Any other 2xx, or a 201 whose body is not that list: not an acceptance (`unrecognised_answer`,
 *   retried).
 * - An error: by its code (huawei/error-classifier.ts). ces.0011 / ces.0013 / ces.0014 refuse the
 *   whole request for some entry's content: final, `scope: 'request'`, so the sink isolates the
 *   entry at fault.
 */
export function classifyCesResponse(reply: HttpReply, count: number, now = Date.now()): SendResult {
  if (reply.status < 200 || reply.status >= 300) return classifyHuaweiError(reply, count, now, VALIDATION_CODES);
  const ids = reply.status === 201 && !reply.truncated ? eventIds(reply.body, count) : undefined;
  if (!ids) return unrecognisedAnswer(reply.status, reply.headers.get('content-type'), reply.body, count, ACCEPTANCE);
  const outcomes: EntryOutcome[] = ids.map((providerId) => ({ kind: 'delivered', providerId }));
  return { outcomes, throttled: false };
}

/** The event ids of a 201 body, or undefined unless it is a list of exactly `count` of them. */
function eventIds(body: string, count: number): string[] | undefined {
  let list: unknown;
  try {
    list = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list) || list.length !== count) return undefined;
  const ids: string[] = [];
  for (const item of list) {
    const id: unknown = item !== null && typeof item === 'object' ? (item as Record<string, unknown>).event_id : undefined;
    if (typeof id !== 'string' || id === '') return undefined;
    ids.push(id);
  }
  return ids;
}

/** Whether a refusal of one entry is about its time (outside the window when it arrived). */
export function refusedForTime(o: EntryOutcome): boolean {
  return o.kind === 'permanent' && VALIDATION_CODES.has(o.code) && /\btime\b/i.test(o.message);
}
