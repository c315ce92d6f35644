import { z } from 'zod';
import { sinkCommonShape } from '../common-options.ts';
import type { StaticEventFields, StaticProblem } from '../sink-type.ts';
import { CMS_MAX_EVENTS, isCmsGroupId } from './limits.ts';

export function alibabaCmsSinkSchema() {
  return z
    .strictObject({
      type: z.literal('alibaba_cms'),
      region: z.string().min(1).optional(),
      /** Defaults to `https://metrics.{region}.aliyuncs.com/`. */
      endpoint: z.url({ protocol: /^https?$/ }).optional(),
      /**
       * Static credentials; otherwise ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN, then
       * RRSA, then the ECS RAM role (see `sinks/alibaba/credential-provider.ts`).
       */
      credentials: z
        .strictObject({
          access_key_id: z.string().min(1),
          access_key_secret: z.string().min(1),
          security_token: z.string().min(1).optional(),
        })
        .optional(),
      /** ECS RAM role to take credentials from (instance metadata); otherwise ALIBABA_CLOUD_ECS_METADATA. */
      ecs_ram_role: z
        .string()
        .min(1)
        .regex(/^[A-Za-z0-9._-]+$/, 'a RAM role name: letters, digits, . _ -')
        .optional(),
      /** STS for RRSA; otherwise ALIBABA_CLOUD_STS_ENDPOINT, ALIBABA_CLOUD_STS_REGION, https://sts.aliyuncs.com. */
      sts_endpoint: z.url({ protocol: /^https?$/ }).optional(),
      /** Instance metadata service for the ECS RAM role. */
      metadata_endpoint: z.url({ protocol: /^https?$/ }).optional(),
      /**
       * `acs3`: ACS3-HMAC-SHA256 (Alibaba's signature V3, current); `v1`: the RPC HMAC-SHA1 method
       * (Alibaba's "signature V2", marked discontinued), for endpoints that still need it.
       */
      signature: z.enum(['v1', 'acs3']).default('acs3'),
      /** Application group of events whose rule names no group; `0` = none. */
      group_id: z
        .union([z.string(), z.number().int().min(0).transform(String)])
        .refine(isCmsGroupId, 'an application group id: digits, 0 = none')
        .default('0'),
      ...sinkCommonShape(),
    })
    .superRefine((cfg, ctx) => {
      if (cfg.credentials && cfg.ecs_ram_role)
        ctx.addIssue({ code: 'custom', path: ['ecs_ram_role'], message: 'give either credentials or ecs_ram_role, not both' });
      if (!cfg.endpoint && !cfg.region)
        ctx.addIssue({ code: 'custom', path: ['region'], message: 'region is required unless endpoint is given' });
      // The API reference allows 50, the user guide 100: 50 unless raised, never above 100.
      if ((cfg.batch.max_entries ?? 0) > CMS_MAX_EVENTS) {
        ctx.addIssue({
          code: 'custom',
          path: ['batch', 'max_entries'],
          message: `PutCustomEvent takes at most ${CMS_MAX_EVENTS} events per request`,
        });
      }
    });
}
export type AlibabaCmsSinkConfig = z.output<ReturnType<typeof alibabaCmsSinkSchema>>;

/**
 * A rule's literal fields that no PutCustomEvent could carry: an empty name, a `group:` that is no
 * application group id (every event of the rule would be dead-lettered). The `alibaba:` block's
 * literals are checked by its schema at load.
 */
export function cmsCheckStatic(fields: StaticEventFields): StaticProblem[] {
  const problems: StaticProblem[] = [];
  const named = fields.overrides.event_name !== undefined;
  const name = named ? String(fields.overrides.event_name) : fields.name;
  if (name !== undefined && name.trim() === '')
    problems.push({ path: named ? ['alibaba', 'event_name'] : ['name'], message: 'EventName must not be empty for PutCustomEvent' });
  if (fields.group !== undefined && fields.overrides.group_id === undefined && !isCmsGroupId(fields.group)) {
    problems.push({
      path: ['group'],
      message: `group ${JSON.stringify(fields.group)} is not an Alibaba application group id (digits, 0 = none)`,
    });
  }
  return problems;
}
