import type { Event } from '../model/event.ts';

/**
 * What happened to one entry of a request. A sink returns one outcome per event it was given,
 * index-aligned with the batch.
 */
export type EntryOutcome =
  | { kind: 'delivered'; providerId?: string }
  | { kind: 'retryable'; code: string; message: string; retryAfterMs?: number }
  | {
      kind: 'permanent';
      code: string;
      message: string;
      /**
       * `request`: the provider refused the request as a whole for its content (an
       * all-or-nothing API), so which entry is at fault is not known: the request is split until
       * the refused entry is alone (sinks/isolate.ts). Absent: this entry itself was refused.
       */
      scope?: 'request';
    };

/** Why the provider can never accept an event: a provider-style code and a message naming the field. */
export interface EntryProblem {
  code: string;
  message: string;
}

/** Code of an answer that is neither the provider's acceptance nor one of its documented errors. */
export const UNRECOGNISED_ANSWER = 'unrecognised_answer';

export interface SendResult {
  outcomes: EntryOutcome[];
  /** The provider said "slow down" (429, ThrottlingException, Throttling.User, APIGW.0308). */
  throttled: boolean;
}

export interface SinkLimits {
  /** Most entries one request may carry. */
  maxEntries: number;
  /** Most bytes one request may carry, as measured by `entrySize`. */
  maxBytes: number;
}

/**
 * A destination for events. Sinks follow Vector's split: a request builder (events → request
 * within limits), a client (the signed call) and an outcome classifier (response → per-entry
 * outcomes). Only the classifier decides what is retryable; the delivery engine decides when.
 */
export interface Sink {
  readonly name: string;
  readonly type: string;
  readonly limits: SinkLimits;
  /** Size of one entry in the provider's own accounting (e.g. EventBridge's entry-size rule). */
  entrySize(event: Event): number;
  /**
   * The provider's rules for one event, after templates and overrides: a problem means it can
   * never be accepted, so the engine dead-letters it alone, before it is batched with others.
   */
  check?(event: Event): EntryProblem | undefined;
  /** Sends one batch. Must not throw: every failure is an outcome. */
  send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult>;
  /**
   * Proves the endpoint and credentials with a harmless read call of the provider (cloud sinks
   * only). Must not throw: every failure is a result with the provider's code and message.
   */
  probe?(signal: AbortSignal): Promise<ProbeResult>;
  close(): Promise<void>;
}

/** What a sink's harmless call said; `call` names the provider API that was used. */
export type ProbeResult =
  | { ok: true; call: string }
  /** `retryNow`: the sink has just learnt what to do differently (its signing clock, a renewed credential). */
  | { ok: false; call: string; code: string; message: string; retryNow?: boolean };

/** A probe read through the sink's own classifier: the one outcome of a one-entry "request". */
export function probeResult(call: string, result: SendResult): ProbeResult {
  const outcome = result.outcomes[0];
  if (outcome === undefined) return { ok: false, call, code: 'internal', message: 'no outcome' };
  if (outcome.kind === 'delivered') return { ok: true, call };
  const retryNow = outcome.kind === 'retryable' && outcome.retryAfterMs === 0;
  return { ok: false, call, code: outcome.code, message: outcome.message, ...(retryNow ? { retryNow } : {}) };
}

export function allOutcomes(count: number, outcome: EntryOutcome): EntryOutcome[] {
  return Array.from({ length: count }, () => outcome);
}

export function deliveredAll(count: number): SendResult {
  return { outcomes: allOutcomes(count, { kind: 'delivered' }), throttled: false };
}

/**
 * An answer the classifier does not recognise (an HTML page with 200, an empty 200, a 202 where
 * the provider answers 201): never an acceptance. Retried, so a passing proxy fault heals, and
 * dead-lettered after `retry.max_elapsed` with the answer's first bytes.
 */
export function unrecognisedAnswer(status: number, contentType: string | null, body: string, count: number, expected: string): SendResult {
  const head = body.trim().slice(0, 200).replace(/\s+/g, ' ');
  const message = `HTTP ${status}${contentType ? ` (${contentType})` : ''} is not the provider's acceptance (${expected})${head ? `: ${JSON.stringify(head)}` : ', empty body'}`;
  return { outcomes: allOutcomes(count, { kind: 'retryable', code: UNRECOGNISED_ANSWER, message }), throttled: false };
}
