import { EMULATOR_CREDENTIALS } from '../../emulator/credentials.ts';
import type { HuaweiConnectionConfig } from './config.ts';

export type HuaweiAuth =
  | { kind: 'aksk'; ak: string; sk: string; securityToken?: string }
  | { kind: 'token'; token: string };

/** Where to call and as whom; resolved once when the sink (or `query`) starts. */
export interface HuaweiTarget {
  /** Base URL without trailing slash. */
  endpoint: string;
  projectId: string;
  auth: HuaweiAuth;
}

export class HuaweiConfigError extends Error {}

/**
 * Resolves endpoint, project and credentials: config first, then the Huawei SDK's environment
 * variables, then (when `emulatorUrl` is set) the emulator's documented defaults. With an
 * emulator URL every call goes there, whatever `endpoint` says.
 */
export function resolveHuaweiTarget(
  service: 'ces' | 'aom',
  cfg: HuaweiConnectionConfig,
  opts: { emulatorUrl?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): HuaweiTarget {
  const env = opts.env ?? process.env;
  const emu = opts.emulatorUrl ? EMULATOR_CREDENTIALS.huawei : undefined;
  const endpoint = (opts.emulatorUrl ?? cfg.endpoint ?? (cfg.region ? `https://${service}.${cfg.region}.myhuaweicloud.com` : undefined))?.replace(/\/+$/, '');
  if (!endpoint) throw new HuaweiConfigError('no endpoint: set region or endpoint');
  const projectId = cfg.project_id ?? nonEmpty(env.HUAWEICLOUD_SDK_PROJECT_ID) ?? emu?.projectId;
  if (!projectId) throw new HuaweiConfigError('no project id: set project_id or HUAWEICLOUD_SDK_PROJECT_ID');
  let auth: HuaweiAuth | undefined;
  if (cfg.credentials) {
    auth = { kind: 'aksk', ak: cfg.credentials.ak, sk: cfg.credentials.sk, ...(cfg.credentials.security_token ? { securityToken: cfg.credentials.security_token } : {}) };
  } else if (cfg.auth_token) {
    auth = { kind: 'token', token: cfg.auth_token };
  } else if (nonEmpty(env.HUAWEICLOUD_SDK_AK) && nonEmpty(env.HUAWEICLOUD_SDK_SK)) {
    const token = nonEmpty(env.HUAWEICLOUD_SDK_SECURITY_TOKEN);
    auth = { kind: 'aksk', ak: env.HUAWEICLOUD_SDK_AK!, sk: env.HUAWEICLOUD_SDK_SK!, ...(token ? { securityToken: token } : {}) };
  } else if (emu) {
    auth = { kind: 'aksk', ak: emu.ak, sk: emu.sk };
  }
  if (!auth) throw new HuaweiConfigError('no credentials: set credentials { ak, sk }, auth_token, or HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK');
  return { endpoint, projectId, auth };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
