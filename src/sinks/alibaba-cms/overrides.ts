import { z } from 'zod';
import { wireText, wireTimeMs } from '../override-values.ts';
import { CMS_MAX_TIME_MS, isCmsGroupId } from './limits.ts';

/**
 * A rule's `alibaba:` block: PutCustomEvent's EventInfo.N fields (rules in limits.ts). Literal
 * values are checked at load, rendered templates when the event is built.
 */
export const cmsOverrides = z.strictObject({
  /** EventInfo.N.EventName: required by the API, so never empty. */
  event_name: wireText.pipe(z.string().min(1, 'EventName must not be empty')).optional(),
  /** EventInfo.N.GroupId: an application group id (digits, 64-bit); `0` = none. */
  group_id: wireText.pipe(z.string().refine(isCmsGroupId, 'not an application group id (digits, at most 2^63-1; 0 = none)')).optional(),
  /** EventInfo.N.Time: epoch ms or seconds, or ISO-8601; sent as epoch ms. */
  time: wireTimeMs.pipe(z.number().max(CMS_MAX_TIME_MS, 'a time after year 9999')).optional(),
  /** EventInfo.N.Content as given, instead of the event's JSON (empty: the JSON). */
  content: wireText.optional(),
  /** Extra keys merged into the JSON Content. */
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type CmsOverrides = z.output<typeof cmsOverrides>;
