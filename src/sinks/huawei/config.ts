import { z } from 'zod';

/**
 * Config keys Cloud Eye and AOM share: where the API is and how to authenticate. Either AK/SK
 * (`credentials`) or an IAM token (`auth_token`); with neither, `HUAWEICLOUD_SDK_AK` /
 * `HUAWEICLOUD_SDK_SK` (+ `HUAWEICLOUD_SDK_SECURITY_TOKEN`) from the environment.
 */
export const huaweiConnectionShape = {
  region: z.string().min(1).optional(),
  /** Falls back to `HUAWEICLOUD_SDK_PROJECT_ID`. */
  project_id: z.string().min(1).max(64).optional(),
  /** Defaults to `https://{service}.{region}.myhuaweicloud.com`. */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  credentials: z
    .strictObject({
      ak: z.string().min(1),
      sk: z.string().min(1),
      /** Temporary (STS) credentials. */
      security_token: z.string().min(1).optional(),
    })
    .optional(),
  /** An IAM token sent as `X-Auth-Token` instead of AK/SK signing (valid 24 h). */
  auth_token: z.string().min(1).optional(),
};

export interface HuaweiConnectionConfig {
  region?: string | undefined;
  project_id?: string | undefined;
  endpoint?: string | undefined;
  credentials?: { ak: string; sk: string; security_token?: string | undefined } | undefined;
  auth_token?: string | undefined;
}

/** Both auth forms at once is ambiguous: refuse it at config load. */
export function refineHuaweiAuth(cfg: HuaweiConnectionConfig, ctx: z.RefinementCtx): void {
  if (cfg.credentials && cfg.auth_token) ctx.addIssue({ code: 'custom', path: ['auth_token'], message: 'give credentials (AK/SK) or auth_token, not both' });
  if (!cfg.endpoint && !cfg.region) ctx.addIssue({ code: 'custom', path: ['region'], message: 'region is required unless endpoint is given' });
}
