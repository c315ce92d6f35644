import type { Event } from '../model/event.ts';
import type { SendResult, Sink } from '../sinks/sink.ts';
import { retryable } from './settlement-plan.ts';

/**
 * One request with a deadline, as the OpenTelemetry Collector's exporterhelper timeout sender:
 * the sink gets a signal aborted at `timeoutMs` or when `shutdown` aborts, and the answer is
 * the sink's result, or every entry retryable (`timeout`, `aborted`, `send_failed`) when the
 * sink threw or did not answer in time. A sink must honour the signal; the race keeps one that
 * does not from stalling its lane.
 *
 * Both hooks are removed when the request ends: a listener left on the shutdown signal (or an
 * AbortSignal.any over a pending timeout) would keep every batch of the last `timeoutMs` alive.
 */
export async function sendWithDeadline(sink: Sink, batch: readonly Event[], timeoutMs: number, shutdown: AbortSignal): Promise<SendResult> {
  const request = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    request.abort();
  }, timeoutMs);
  const onShutdown = () => request.abort();
  if (shutdown.aborted) request.abort();
  else shutdown.addEventListener('abort', onShutdown, { once: true });
  const aborted = new Promise<SendResult>((resolve) => {
    const onAbort = () => {
      const outcome = timedOut ? retryable('timeout', `no answer within ${timeoutMs} ms`) : retryable('aborted', 'shutting down');
      resolve({ outcomes: batch.map(() => outcome), throttled: false });
    };
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([sink.send(batch, request.signal), aborted]);
  } catch (err) {
    const outcome = retryable('send_failed', (err as Error).message);
    return { outcomes: batch.map(() => outcome), throttled: false };
  } finally {
    clearTimeout(timer);
    shutdown.removeEventListener('abort', onShutdown);
  }
}
