import { z } from 'zod';
import { wireInteger, wireText, wireTextMap } from '../override-values.ts';

/** A rule's `huawei_aom:` block (PushEvents' event fields). */
export const aomOverrides = z.strictObject({
  id: wireText.optional(),
  timeout: wireInteger.optional(),
  event_type: z.enum(['event', 'alarm']).optional(),
  resource_provider: wireText.optional(),
  resource_type: wireText.optional(),
  resource_id: wireText.optional(),
  metadata: wireTextMap.optional(),
  annotations: wireTextMap.optional(),
  attach_rule: z.record(z.string(), z.unknown()).optional(),
});
