import type { HttpReply } from '../http-call.ts';
import { classifyHuaweiError } from '../huawei/error-classifier.ts';
import { deliveredAll, type SendResult, unrecognisedAnswer } from '../sink.ts';

/** AOM's acceptance (seed 002, "Status code: 204"). */
export const AOM_ACCEPTANCE = 'HTTP 204 with no body';

/**
 * A PushEvents answer → one outcome per entry (the API is all-or-nothing):
 * - 204 with no body: every entry delivered — the only acceptance (seed);
 * - any other 2xx (200, 201, 202, error JSON inside a 200, a 204 with a body): not AOM's
 *   answer, retried as `unrecognised_answer`;
 * - HTTP 400 with an `AOM.*` code (`AOM.0400` "parse eventParam failed", seed): AOM refused the
 *   request for the content of some entry — final with `scope: 'request'`, so the request is
 *   split until the refused entry is alone (sinks/isolate.ts);
 * - everything else as the Huawei gateway documents it (huawei/error-classifier.ts): 429 /
 *   `APIGW.0308` and 5xx retried (Retry-After kept), a signature out of the clock window retried
 *   once the client set its clock, `APIGW.0301` and other 401/403/404 final.
 */
export function classifyAomResponse(reply: HttpReply, count: number, now = Date.now()): SendResult {
  if (reply.status >= 200 && reply.status < 300) {
    if (reply.status === 204 && reply.body.trim() === '') return deliveredAll(count);
    return unrecognisedAnswer(reply.status, reply.headers.get('content-type'), reply.body, count, AOM_ACCEPTANCE);
  }
  const result = classifyHuaweiError(reply, count, now);
  if (reply.status !== 400) return result;
  return {
    ...result,
    outcomes: result.outcomes.map((o) => (o.kind === 'permanent' && o.code.startsWith('AOM.') ? { ...o, scope: 'request' as const } : o)),
  };
}
