import { z } from 'zod';
import { duration } from '../../core/duration.ts';
import { sinkCommonShape } from '../common-options.ts';
import { huaweiConnectionShape, refineHuaweiAuth } from '../huawei/config.ts';
import { AOM_DEFAULT_TIMEOUT_MS, AOM_ENTERPRISE_PROJECT_HEADERS, AOM_EVENT_TYPES, AOM_MAX_TIMEOUT_MS, AOM_METADATA_MAX } from './limits.ts';

export function huaweiAomSinkSchema() {
  return z
    .strictObject({
      type: z.literal('huawei_aom'),
      ...huaweiConnectionShape(),
      /** `alarm` (kept active until cleared or timed out) or `event` (a record only). */
      event_type: z.enum(AOM_EVENT_TYPES).default('alarm'),
      /** metadata.resource_provider when the event's resource names none. */
      resource_provider: z.string().min(1).max(AOM_METADATA_MAX).default('log2events'),
      /** metadata.resource_type when the event's resource names none. */
      resource_type: z.string().min(1).max(AOM_METADATA_MAX).default('service'),
      /** Auto-clear period of a raised alarm (AOM's `timeout`), at most 15 days; always sent. */
      alarm_timeout: duration.pipe(z.number().int().min(1).max(AOM_MAX_TIMEOUT_MS)).default(AOM_DEFAULT_TIMEOUT_MS),
      /** The enterprise project of the alarms; AOM uses the default project (0) without it. */
      enterprise_project_id: z.string().min(1).optional(),
      /** The header that carries it: today's SDK and the API reference send `enterprise-project-id`. */
      enterprise_project_header: z.enum(AOM_ENTERPRISE_PROJECT_HEADERS).default('enterprise-project-id'),
      ...sinkCommonShape(),
    })
    .superRefine(refineHuaweiAuth);
}
export type HuaweiAomSinkConfig = z.output<ReturnType<typeof huaweiAomSinkSchema>>;
