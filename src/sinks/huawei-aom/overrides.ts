import { z } from 'zod';
import { duration } from '../../core/duration.ts';
import { wireText, wireTextMap } from '../override-values.ts';
import { AOM_EVENT_TYPES, AOM_MAX_TIMEOUT_MS, AOM_METADATA_MAX, AOM_SEVERITIES } from './limits.ts';

/** A metadata value: text of 1 to 2048 characters (seed 002, Table 5). */
const metadataText = wireText.pipe(
  z.string().min(1, 'must not be empty').max(AOM_METADATA_MAX, `must be at most ${AOM_METADATA_MAX} characters`),
);

/**
 * A rule's `huawei_aom:` block (PushEvents' EventModel fields). Checked at load for literal values
 * (file:line:col) and when each event is built for rendered ones: a value that cannot become its
 * wire type (a `timeout` that is not a duration, an `event_type` other than event|alarm)
 * dead-letters that one event. Rules: limits.ts.
 */
export const aomOverrides = z.strictObject({
  /** The alarm's id, sent on the raise and on the clear; derived from the event key when absent. */
  id: wireText.pipe(z.string().min(1, 'must not be empty')).optional(),
  /** Auto-clear period: milliseconds or a duration (`2h`), at most 15 days. */
  timeout: duration
    .pipe(z.number().int('must be whole milliseconds').min(1, 'must be positive').max(AOM_MAX_TIMEOUT_MS, 'must be at most 15 days'))
    .optional(),
  event_type: z.enum(AOM_EVENT_TYPES).optional(),
  event_severity: z.enum(AOM_SEVERITIES).optional(),
  resource_provider: metadataText.optional(),
  resource_type: metadataText.optional(),
  resource_id: metadataText.optional(),
  /** More metadata keys (or the mandatory ones, which then win); the enums are checked here too. */
  metadata: z
    .object({ event_type: z.enum(AOM_EVENT_TYPES).optional(), event_severity: z.enum(AOM_SEVERITIES).optional() })
    .catchall(metadataText)
    .optional(),
  /** Strings on the wire (numbers and booleans become text): see wire.ts. */
  annotations: wireTextMap.optional(),
  attach_rule: z.record(z.string(), z.unknown()).optional(),
});
export type AomOverrides = z.output<typeof aomOverrides>;
