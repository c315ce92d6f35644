import { EMULATOR_CREDENTIALS } from '../../emulator/credentials.ts';

export interface AlibabaCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export class AlibabaConfigError extends Error {}

/**
 * Static credentials: the config's, else `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` (+
 * `_SECURITY_TOKEN`), else the emulator's when calling one. RRSA and the ECS RAM role are not
 * read here.
 */
export function resolveAlibabaCredentials(
  cfg: { access_key_id: string; access_key_secret: string; security_token?: string | undefined } | undefined,
  opts: { emulator?: boolean; env?: NodeJS.ProcessEnv } = {},
): AlibabaCredentials {
  const env = opts.env ?? process.env;
  if (cfg) return { accessKeyId: cfg.access_key_id, accessKeySecret: cfg.access_key_secret, ...(cfg.security_token ? { securityToken: cfg.security_token } : {}) };
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (id && secret) {
    const token = env.ALIBABA_CLOUD_SECURITY_TOKEN;
    return { accessKeyId: id, accessKeySecret: secret, ...(token ? { securityToken: token } : {}) };
  }
  if (opts.emulator) return { accessKeyId: EMULATOR_CREDENTIALS.alibaba.accessKeyId, accessKeySecret: EMULATOR_CREDENTIALS.alibaba.accessKeySecret };
  throw new AlibabaConfigError('no credentials: set credentials { access_key_id, access_key_secret } or ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET');
}
