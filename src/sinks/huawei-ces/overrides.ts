import { z } from 'zod';
import { wireText, wireTimeMs } from '../override-values.ts';
import {
  EVENT_LEVELS,
  EVENT_NAME,
  EVENT_SOURCE,
  EVENT_SOURCE_LENGTH,
  EVENT_STATES,
  GROUP_ID,
  MAX_DIMENSIONS,
  REPORTABLE_EVENT_TYPE,
  SUB_EVENT_TYPES,
} from './limits.ts';

/**
 * The detail keys a rule may set (seed 001 table 5). Resource id and name, user and dimension
 * names take any text: the request builder fixes them to Cloud Eye's alphabet and keeps the
 * original in the content (see request-builder.ts). Enums and the group id must be exact.
 */
const detailShape = {
  content: wireText.optional(),
  group_id: z.string().regex(GROUP_ID, 'a Cloud Eye resource group id has 24 letters or digits').optional(),
  resource_id: wireText.optional(),
  resource_name: wireText.optional(),
  event_state: z.enum(EVENT_STATES).optional(),
  event_level: z.enum(EVENT_LEVELS).optional(),
  event_user: wireText.optional(),
  event_type: z.literal(REPORTABLE_EVENT_TYPE, `only ${REPORTABLE_EVENT_TYPE} can be reported`).optional(),
  sub_event_type: z.enum(SUB_EVENT_TYPES).optional(),
  dimensions: z
    .array(z.strictObject({ name: wireText, value: wireText }))
    .max(MAX_DIMENSIONS, `at most ${MAX_DIMENSIONS} dimensions`)
    .optional(),
};

/** A rule's `huawei_ces:` block: the CreateEvents entry's fields, its detail keys, or a `detail:` object of them. */
export const cesOverrides = z.strictObject({
  event_name: z.string().regex(EVENT_NAME, 'must start with a letter and have 1 to 64 letters, digits or underscores').optional(),
  event_source: z
    .string()
    .min(EVENT_SOURCE_LENGTH.min)
    .max(EVENT_SOURCE_LENGTH.max)
    .regex(EVENT_SOURCE, 'must be service.item, each part starting with a letter ([A-Za-z0-9_])')
    .optional(),
  time: wireTimeMs.optional(),
  ...detailShape,
  detail: z.strictObject(detailShape).optional(),
});

export type CesOverrides = z.output<typeof cesOverrides>;
