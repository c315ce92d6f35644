import { z } from 'zod';
import { wireText } from '../override-values.ts';

/**
 * A rule's `aws:` block. Limits from botocore's events model (PutEventsRequestEntry):
 * EventBusName 1-1600 (a name or an ARN), TraceHeader 1-500, DetailType ≤ 128.
 */
export const awsOverrides = z.strictObject({
  source: z.string().min(1).max(256).optional(),
  detail_type: z.string().min(1).max(128).optional(),
  resources: z.array(wireText).optional(),
  event_bus: z.string().min(1).max(1600).optional(),
  trace_header: z.string().min(1).max(500).optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
