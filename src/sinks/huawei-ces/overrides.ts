import { z } from 'zod';
import { wireTimeMs } from '../override-values.ts';

/** A rule's `huawei_ces:` block: the CreateEvents entry's fields and its detail keys. */
export const cesOverrides = z.strictObject({
  event_name: z.string().optional(),
  event_source: z.string().optional(),
  time: wireTimeMs.optional(),
  content: z.string().optional(),
  group_id: z.string().optional(),
  resource_id: z.string().optional(),
  resource_name: z.string().optional(),
  event_state: z.enum(['normal', 'warning', 'incident']).optional(),
  event_level: z.enum(['Critical', 'Major', 'Minor', 'Info']).optional(),
  event_user: z.string().optional(),
  event_type: z.literal('EVENT.CUSTOM').optional(),
  sub_event_type: z.string().optional(),
  dimensions: z.array(z.strictObject({ name: z.string(), value: z.string() })).max(4).optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
