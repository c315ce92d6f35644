import type { EntryOutcome, SendResult } from './sink.ts';

/**
 * Sends `items` as one request and, when an all-or-nothing provider refuses the request as a
 * whole for its content (outcomes of `scope: 'request'`), splits it in halves and sends each,
 * until the refused entry is alone: only that entry is dead-lettered, its neighbours are
 * delivered. One poison event in a batch of n costs about 2·log2(n) more requests.
 *
 * A half that fails retryably (throttling, an outage) stops the search: the entries not sent yet
 * get the same retryable outcome and go again with it.
 */
export async function sendIsolating<T>(
  items: readonly T[],
  send: (items: readonly T[]) => Promise<SendResult>,
  signal?: AbortSignal,
): Promise<SendResult> {
  const result = await send(items);
  if (!refusedAsWhole(result)) return result;
  if (items.length < 2) return { outcomes: result.outcomes.map(entryLevel), throttled: result.throttled };
  const mid = Math.ceil(items.length / 2);
  const left = await sendIsolating(items.slice(0, mid), send, signal);
  const stop = signal?.aborted ? abortedOutcome : left.outcomes.find((o) => o.kind === 'retryable');
  const right: SendResult = stop
    ? { outcomes: Array.from({ length: items.length - mid }, () => stop), throttled: false }
    : await sendIsolating(items.slice(mid), send, signal);
  return { outcomes: [...left.outcomes, ...right.outcomes], throttled: left.throttled || right.throttled };
}

const abortedOutcome: EntryOutcome = {
  kind: 'retryable',
  code: 'timeout',
  message: 'request aborted or timed out while isolating a refused entry',
};

function refusedAsWhole(r: SendResult): boolean {
  return r.outcomes.length > 0 && r.outcomes.every((o) => o.kind === 'permanent' && o.scope === 'request');
}

/** Alone in its request, the entry is the one the provider refused. */
function entryLevel(o: EntryOutcome): EntryOutcome {
  return o.kind === 'permanent' ? { kind: 'permanent', code: o.code, message: o.message } : o;
}
