import { z } from 'zod';

function httpUrl() {
  return z.url({ protocol: /^https?$/ });
}

/**
 * Config keys Cloud Eye and AOM share: where the API is and how to authenticate. At most one of
 * AK/SK (`credentials`), an IAM token (`auth_token`), CCE workload identity (`oidc`) or the ECS
 * metadata service (`ecs_metadata`); with none, the environment (see `credentials.ts`).
 */
export function huaweiConnectionShape() {
  return {
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
    /** CCE workload identity: a projected service-account id token exchanged at IAM for temporary AK/SK. */
    oidc: z
      .strictObject({
        idp_id: z.string().min(1),
        id_token_file: z.string().min(1),
        /** Defaults to `$HUAWEICLOUD_SDK_IAM_ENDPOINT`, else `https://iam.{region}.myhuaweicloud.com`. */
        iam_endpoint: httpUrl().optional(),
        /** Lifetime asked of the temporary AK/SK. */
        duration_seconds: z.number().int().min(900).max(86_400).default(3600),
      })
      .optional(),
    /** Temporary AK/SK of the ECS agency from the metadata service: `true`, or `{ endpoint }` elsewhere than 169.254.169.254. */
    ecs_metadata: z.union([z.literal(true), z.strictObject({ endpoint: httpUrl() })]).optional(),
  };
}

export interface HuaweiConnectionConfig {
  region?: string | undefined;
  project_id?: string | undefined;
  endpoint?: string | undefined;
  credentials?: { ak: string; sk: string; security_token?: string | undefined } | undefined;
  auth_token?: string | undefined;
  oidc?: { idp_id: string; id_token_file: string; iam_endpoint?: string | undefined; duration_seconds: number } | undefined;
  ecs_metadata?: true | { endpoint: string } | undefined;
}

/** Two auth forms at once is ambiguous: refuse it at config load. */
export function refineHuaweiAuth(cfg: HuaweiConnectionConfig, ctx: z.RefinementCtx): void {
  if (cfg.credentials && cfg.auth_token)
    ctx.addIssue({ code: 'custom', path: ['auth_token'], message: 'give credentials (AK/SK) or auth_token, not both' });
  const given = (['credentials', 'auth_token', 'oidc', 'ecs_metadata'] as const).filter((k) => cfg[k] !== undefined);
  if (given.length > 1 && !(given.length === 2 && cfg.credentials && cfg.auth_token)) {
    ctx.addIssue({
      code: 'custom',
      path: given.slice(1, 2),
      message: `give one of credentials, auth_token, oidc, ecs_metadata, not ${given.join(' and ')}`,
    });
  }
  if (!cfg.endpoint && !cfg.region)
    ctx.addIssue({ code: 'custom', path: ['region'], message: 'region is required unless endpoint is given' });
}
