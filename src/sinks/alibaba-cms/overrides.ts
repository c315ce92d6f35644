import { z } from 'zod';
import { wireText, wireTimeMs } from '../override-values.ts';

/** A rule's `alibaba:` block (PutCustomEvent's EventInfo.N fields). */
export const cmsOverrides = z.strictObject({
  event_name: wireText.pipe(z.string().min(1)).optional(),
  group_id: wireText.optional(),
  time: wireTimeMs.optional(),
  content: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
