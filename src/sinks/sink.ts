import type { Event } from '../model/event.ts';

/**
 * What happened to one entry of a request. A sink returns one outcome per event it was given,
 * index-aligned with the batch.
 */
export type EntryOutcome =
  | { kind: 'delivered'; providerId?: string }
  | { kind: 'retryable'; code: string; message: string; retryAfterMs?: number }
  | { kind: 'permanent'; code: string; message: string };

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
  /** Sends one batch. Must not throw: every failure is an outcome. */
  send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}

export function allOutcomes(count: number, outcome: EntryOutcome): EntryOutcome[] {
  return Array.from({ length: count }, () => outcome);
}

export function deliveredAll(count: number): SendResult {
  return { outcomes: allOutcomes(count, { kind: 'delivered' }), throttled: false };
}
