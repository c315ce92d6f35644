import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { sinkCommonShape } from '../../delivery/options.ts';
import { huaweiConnectionShape, refineHuaweiAuth } from '../huawei/config.ts';
import { registerSinkType } from '../registry.ts';
import { AOM_DEFAULT_TIMEOUT_MS, AOM_MAX_TIMEOUT_MS } from './request-builder.ts';

/** AOM documents no per-request maximum: a conservative 100 unless `batch.max_entries` says otherwise. */
export const AOM_DEFAULT_MAX_ENTRIES = 100;

export const huaweiAomSinkSchema = z
  .strictObject({
    type: z.literal('huawei_aom'),
    ...huaweiConnectionShape,
    /** `alarm` (kept active until cleared or timed out) or `event` (a record only). */
    event_type: z.enum(['alarm', 'event']).default('alarm'),
    /** metadata.resource_provider when the event's resource names none. */
    resource_provider: z.string().min(1).max(2048).default('log2events'),
    /** metadata.resource_type when the event's resource names none. */
    resource_type: z.string().min(1).max(2048).default('service'),
    /** Auto-clear period of a raised alarm (AOM's `timeout`), at most 15 days. */
    alarm_timeout: duration.pipe(z.number().int().min(1).max(AOM_MAX_TIMEOUT_MS)).default(AOM_DEFAULT_TIMEOUT_MS),
    /** Sent as the `enterprise-project-id` header; AOM uses the default project (0) without it. */
    enterprise_project_id: z.string().min(1).optional(),
    ...sinkCommonShape,
  })
  .superRefine(refineHuaweiAuth);
export type HuaweiAomSinkConfig = z.output<typeof huaweiAomSinkSchema>;

registerSinkType('huawei_aom', {
  schema: huaweiAomSinkSchema,
  create: async (name, cfg, deps) => new (await import('./aom-sink.ts')).AomSink(name, cfg, deps),
});
