import { z } from 'zod';
import { wireText } from '../override-values.ts';
import { DETAIL_TYPE_MAX, EVENT_BUS_MAX, EVENT_BUS_PATTERN, RESOURCE_MAX, TRACE_HEADER_MAX } from './limits.ts';

/**
 * A rule's `aws:` block: PutEvents fields the neutral event cannot express. Checked at load
 * (literal values) and when an event is built (rendered templates); limits from limits.ts.
 */
/** EventBusName as PutEvents takes it: a bus name or an event bus ARN, 1–1600 characters. */
export function eventBusName() {
  return z.string().min(1).max(EVENT_BUS_MAX).regex(EVENT_BUS_PATTERN, 'expected an event bus name ([.-_A-Za-z0-9]+) or an event bus ARN');
}

export const awsOverrides = z.strictObject({
  /** Source; the event's `source` when absent. */
  source: z.string().min(1).optional(),
  /** DetailType (≤ 128 characters); the event's `name` when absent. */
  detail_type: z.string().min(1).max(DETAIL_TYPE_MAX).optional(),
  /** Resources (ARNs, each ≤ 2048 characters); the resource id when it is an ARN, when absent. */
  resources: z.array(wireText.pipe(z.string().min(1).max(RESOURCE_MAX))).optional(),
  /** EventBusName: a bus name or ARN (1–1600 characters); the sink's `event_bus` when absent. */
  event_bus: eventBusName().optional(),
  /** TraceHeader (X-Ray, 1–500 characters); built from the record's trace context when absent. */
  trace_header: z.string().min(1).max(TRACE_HEADER_MAX).optional(),
  /** Extra keys merged into Detail. */
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type AwsOverrides = z.output<typeof awsOverrides>;
