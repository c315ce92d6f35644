import type { EventSeverity } from './severity.ts';

export type EventState = 'normal' | 'warning' | 'incident';
export type EventAction = 'raise' | 'clear';
export const EVENT_STATES: readonly EventState[] = ['normal', 'warning', 'incident'];
export const EVENT_ACTIONS: readonly EventAction[] = ['raise', 'clear'];

export type ProviderName = 'aws' | 'alibaba' | 'huawei_ces' | 'huawei_aom';
export const PROVIDER_NAMES: readonly ProviderName[] = ['aws', 'alibaba', 'huawei_ces', 'huawei_aom'];

export interface EventResource {
  id?: string;
  name?: string;
  type?: string;
  provider?: string;
}

/**
 * The provider-neutral event a rule produces. Each sink maps it to its wire format; the
 * `overrides` block carries per-provider fields the neutral model cannot express
 * (e.g. an EventBridge `DetailType`, a Cloud Eye `sub_event_type`, an AOM `timeout`).
 */
export interface Event {
  /** Stable id: derived from the record's origin and the rule, so replays are recognisable. */
  id: string;
  /** Name of the rule that produced it. */
  rule: string;
  name: string;
  source: string;
  /** Event time, ms since the epoch. */
  time: number;
  severity: EventSeverity;
  state: EventState;
  action: EventAction;
  content: string;
  resource: EventResource;
  group?: string;
  user?: string;
  /** Ordered name → value pairs (Cloud Eye takes at most four). */
  dimensions: Record<string, string>;
  attributes: Record<string, string>;
  /** Identity for dedupe, throttling and alarm clearing. */
  key: string;
  traceId?: string;
  spanId?: string;
  /** Names of the sinks the rule routes this event to; the spool keeps one entry per sink. */
  to: string[];
  overrides: Partial<Record<ProviderName, Record<string, unknown>>>;
}
