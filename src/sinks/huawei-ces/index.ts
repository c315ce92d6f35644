import { z } from 'zod';
import { sinkCommonShape } from '../../delivery/options.ts';
import { huaweiConnectionShape, refineHuaweiAuth } from '../huawei/config.ts';
import { registerSinkType } from '../registry.ts';

/** Cloud Eye documents no per-request maximum: 100 unless `batch.max_entries` says otherwise. */
export const CES_DEFAULT_MAX_ENTRIES = 100;

export const huaweiCesSinkSchema = z
  .strictObject({
    type: z.literal('huawei_ces'),
    ...huaweiConnectionShape,
    /**
     * Events older than Cloud Eye's window (1 h) or too far ahead: `clamp` sends them with a time
     * inside the window and the original time in the content; `reject` dead-letters them.
     */
    old_events: z.enum(['clamp', 'reject']).default('clamp'),
    /** Resource group id (24 characters) for every event; a rule's `huawei_ces.group_id` wins. */
    group_id: z.string().length(24).optional(),
    ...sinkCommonShape,
  })
  .superRefine(refineHuaweiAuth);
export type HuaweiCesSinkConfig = z.output<typeof huaweiCesSinkSchema>;

registerSinkType('huawei_ces', {
  schema: huaweiCesSinkSchema,
  create: async (name, cfg, deps) => new (await import('./ces-sink.ts')).CesSink(name, cfg, deps),
});
