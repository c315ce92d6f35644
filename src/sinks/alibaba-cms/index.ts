import { z } from 'zod';
import { sinkCommonShape } from '../../delivery/options.ts';
import { registerSinkType } from '../registry.ts';

/** The API reference allows N = 1..50; the user guide says 100. 50 unless `batch.max_entries` raises it. */
export const CMS_DEFAULT_MAX_ENTRIES = 50;
export const CMS_MAX_ENTRIES = 100;

export const alibabaCmsSinkSchema = z
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
    ecs_ram_role: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'a RAM role name: letters, digits, . _ -').optional(),
    /** STS for RRSA; otherwise ALIBABA_CLOUD_STS_ENDPOINT, ALIBABA_CLOUD_STS_REGION, https://sts.aliyuncs.com. */
    sts_endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** Instance metadata service for the ECS RAM role. */
    metadata_endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** `v1`: RPC HMAC-SHA1 (form parameters); `acs3`: ACS3-HMAC-SHA256 (headers). */
    signature: z.enum(['v1', 'acs3']).default('v1'),
    /** Application group of events whose rule names no group; `0` = none. */
    group_id: z.string().min(1).default('0'),
    ...sinkCommonShape,
  })
  .superRefine((cfg, ctx) => {
    if (cfg.credentials && cfg.ecs_ram_role) ctx.addIssue({ code: 'custom', path: ['ecs_ram_role'], message: 'give either credentials or ecs_ram_role, not both' });
    if (!cfg.endpoint && !cfg.region) ctx.addIssue({ code: 'custom', path: ['region'], message: 'region is required unless endpoint is given' });
    if ((cfg.batch.max_entries ?? 0) > CMS_MAX_ENTRIES) {
      ctx.addIssue({ code: 'custom', path: ['batch', 'max_entries'], message: `PutCustomEvent takes at most ${CMS_MAX_ENTRIES} events per request` });
    }
  });
export type AlibabaCmsSinkConfig = z.output<typeof alibabaCmsSinkSchema>;

registerSinkType('alibaba_cms', {
  schema: alibabaCmsSinkSchema,
  create: async (name, cfg, deps) => new (await import('./cms-sink.ts')).CmsSink(name, cfg, deps),
});
