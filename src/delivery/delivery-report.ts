import type { Event } from '../model/event.ts';

/** What became of one entry of a request. */
export type EntryReport =
  | { event: Event; outcome: 'delivered' }
  | { event: Event; outcome: 'retry' | 'dead_letter'; code: string; message: string };

/** One request's outcome, as a lane reports it to whoever watches delivery (health, tap). */
export interface RequestReport {
  sink: string;
  entries: readonly EntryReport[];
  throttled: boolean;
  latencyMs: number;
  at: number;
}

export interface DeliveryObserver {
  onRequest(report: RequestReport): void;
}
