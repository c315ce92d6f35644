import { z } from 'zod';
import { duration } from '../../core/duration.ts';
import { sinkCommonShape } from '../common-options.ts';
import { huaweiConnectionShape, refineHuaweiAuth } from '../huawei/config.ts';
import type { StaticEventFields, StaticProblem } from '../sink-type.ts';
import { DEFAULT_TIME_MARGIN_MS, DOCUMENTED_TIME_MARGIN_MS, GROUP_ID, eventNameProblem, eventSourceProblem } from './limits.ts';

/** Cloud Eye documents no per-request maximum: 100 unless `batch.max_entries` says otherwise. */
export const CES_DEFAULT_MAX_ENTRIES = 100;

export function huaweiCesSinkSchema() {
  return z
    .strictObject({
      type: z.literal('huawei_ces'),
      ...huaweiConnectionShape(),
      /**
       * Events outside Cloud Eye's window ([now − 1 h, now + 10 min]): `clamp` sends them with a
       * time inside it and the original time in the content; `reject` dead-letters them.
       */
      old_events: z.enum(['clamp', 'reject']).default('clamp'),
      /** How far inside the window an event's time must be when it is sent (Cloud Eye: ≥ 10 s). */
      time_margin: duration
        .default(DEFAULT_TIME_MARGIN_MS)
        .refine((ms) => ms >= DOCUMENTED_TIME_MARGIN_MS && ms <= 240_000, 'time_margin must be from 10s to 4m'),
      /** Resource group id (24 letters or digits) for every event; a rule's `huawei_ces.group_id` wins. */
      group_id: z.string().regex(GROUP_ID, 'a Cloud Eye resource group id has 24 letters or digits').optional(),
      ...sinkCommonShape(),
    })
    .superRefine(refineHuaweiAuth);
}
export type HuaweiCesSinkConfig = z.output<ReturnType<typeof huaweiCesSinkSchema>>;

/** A rule's literal name or source Cloud Eye can never take (a rule without `source:` gets "log2events"). */
export function checkCesStatic(fields: StaticEventFields): StaticProblem[] {
  const problems: StaticProblem[] = [];
  const overridden = (key: string) => fields.overrides[key] !== undefined || (fields.overridden?.includes(key) ?? false);
  if (!overridden('event_name') && fields.name !== undefined) {
    const p = eventNameProblem(fields.name);
    if (p) problems.push({ path: ['name'], message: `${p.message} (or set huawei_ces.event_name)` });
  }
  if (!overridden('event_source') && fields.source !== undefined) {
    const p = eventSourceProblem(fields.source);
    if (p) problems.push({ path: ['source'], message: `${p.message}; set source: (or huawei_ces.event_source)` });
  }
  return problems;
}
