import type { EmulatorTarget } from '../emulator-target.ts';
import { SigningClock } from '../signing-clock.ts';
import type { HuaweiConnectionConfig } from './config.ts';
import {
  ECS_METADATA_ENDPOINT,
  type HuaweiCredentialProvider,
  RefreshingCredentials,
  fetchEcsMetadataCredential,
  fetchOidcCredential,
  staticCredentials,
} from './credential-provider.ts';

export type { HuaweiAuth } from './credential-provider.ts';

/** Where to call and as whom; resolved once when the sink (or `query`) starts. */
export interface HuaweiTarget {
  /** Base URL without trailing slash. */
  endpoint: string;
  projectId: string;
  /** Asked on every call: static credentials, or temporary ones kept fresh. */
  auth: HuaweiCredentialProvider;
  /** The gateway's time as learnt from its answers: requests are signed with it. */
  clock: SigningClock;
}

export class HuaweiConfigError extends Error {}

/** Environment variables the Huawei SDKs read, and the one log2events adds for the ECS metadata service. */
export const HUAWEI_ENV = {
  ak: 'HUAWEICLOUD_SDK_AK',
  sk: 'HUAWEICLOUD_SDK_SK',
  securityToken: 'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  projectId: 'HUAWEICLOUD_SDK_PROJECT_ID',
  idpId: 'HUAWEICLOUD_SDK_IDP_ID',
  idTokenFile: 'HUAWEICLOUD_SDK_ID_TOKEN_FILE',
  iamEndpoint: 'HUAWEICLOUD_SDK_IAM_ENDPOINT',
  ecsMetadata: 'LOG2EVENTS_HUAWEI_ECS_METADATA',
} as const;

const OIDC_SOURCE = 'CCE workload identity (OIDC)';
const METADATA_SOURCE = 'ECS metadata';
const DEFAULT_OIDC_DURATION_SECONDS = 3600;

/**
 * Resolves endpoint, project and credentials. Credentials, first found wins:
 * 1. config: `credentials`, `auth_token`, `oidc` or `ecs_metadata` (at most one is allowed);
 * 2. environment: `HUAWEICLOUD_SDK_AK` / `_SK` (+ `_SECURITY_TOKEN`), then `HUAWEICLOUD_SDK_IDP_ID`
 *    + `HUAWEICLOUD_SDK_ID_TOKEN_FILE` (workload identity), then `LOG2EVENTS_HUAWEI_ECS_METADATA`;
 * 3. with an emulator target, the emulator's credentials.
 * With an emulator URL every call goes there, whatever `endpoint` says.
 */
export function resolveHuaweiTarget(
  service: 'ces' | 'aom',
  cfg: HuaweiConnectionConfig,
  opts: { emulator?: EmulatorTarget | undefined; env?: NodeJS.ProcessEnv } = {},
): HuaweiTarget {
  const env = opts.env ?? process.env;
  const emu = opts.emulator?.credentials.huawei;
  const endpoint = (
    opts.emulator?.url ??
    cfg.endpoint ??
    (cfg.region ? `https://${service}.${cfg.region}.myhuaweicloud.com` : undefined)
  )?.replace(/\/+$/, '');
  if (!endpoint) throw new HuaweiConfigError('no endpoint: set region or endpoint');
  const projectId = cfg.project_id ?? nonEmpty(env[HUAWEI_ENV.projectId]) ?? emu?.projectId;
  if (!projectId) throw new HuaweiConfigError(`no project id: set project_id or ${HUAWEI_ENV.projectId}`);
  const auth =
    configCredentials(cfg, env) ??
    envCredentials(cfg, env) ??
    (emu ? staticCredentials('emulator defaults', { kind: 'aksk', ak: emu.ak, sk: emu.sk }) : undefined);
  if (!auth) {
    throw new HuaweiConfigError(
      `no credentials: set credentials { ak, sk }, auth_token, or ${HUAWEI_ENV.ak} / ${HUAWEI_ENV.sk}; on CCE oidc { idp_id, id_token_file } or ${HUAWEI_ENV.idpId} / ${HUAWEI_ENV.idTokenFile}; on ECS ecs_metadata: true or ${HUAWEI_ENV.ecsMetadata}=true`,
    );
  }
  return { endpoint, projectId, auth, clock: new SigningClock() };
}

function configCredentials(cfg: HuaweiConnectionConfig, env: NodeJS.ProcessEnv): HuaweiCredentialProvider | undefined {
  if (cfg.credentials) {
    const { ak, sk, security_token } = cfg.credentials;
    return staticCredentials('config credentials', { kind: 'aksk', ak, sk, ...(security_token ? { securityToken: security_token } : {}) });
  }
  if (cfg.auth_token) return staticCredentials('config auth_token', { kind: 'token', token: cfg.auth_token });
  if (cfg.oidc) {
    const { idp_id, id_token_file, iam_endpoint, duration_seconds } = cfg.oidc;
    return oidcProvider(idp_id, id_token_file, iam_endpoint ?? iamEndpointOf(cfg, env), duration_seconds);
  }
  if (cfg.ecs_metadata) return metadataProvider(cfg.ecs_metadata === true ? ECS_METADATA_ENDPOINT : cfg.ecs_metadata.endpoint);
  return undefined;
}

function envCredentials(cfg: HuaweiConnectionConfig, env: NodeJS.ProcessEnv): HuaweiCredentialProvider | undefined {
  const ak = nonEmpty(env[HUAWEI_ENV.ak]);
  const sk = nonEmpty(env[HUAWEI_ENV.sk]);
  if (ak && sk) {
    const token = nonEmpty(env[HUAWEI_ENV.securityToken]);
    return staticCredentials('environment AK/SK', { kind: 'aksk', ak, sk, ...(token ? { securityToken: token } : {}) });
  }
  const idpId = nonEmpty(env[HUAWEI_ENV.idpId]);
  const idTokenFile = nonEmpty(env[HUAWEI_ENV.idTokenFile]);
  if (idpId && idTokenFile) return oidcProvider(idpId, idTokenFile, iamEndpointOf(cfg, env), DEFAULT_OIDC_DURATION_SECONDS);
  if (idpId || idTokenFile) throw new HuaweiConfigError(`workload identity needs both ${HUAWEI_ENV.idpId} and ${HUAWEI_ENV.idTokenFile}`);
  const metadata = nonEmpty(env[HUAWEI_ENV.ecsMetadata]);
  if (metadata === undefined || /^(false|0|no)$/i.test(metadata)) return undefined;
  if (/^(true|1|yes)$/i.test(metadata)) return metadataProvider(ECS_METADATA_ENDPOINT);
  return metadataProvider(httpUrlOf(metadata, HUAWEI_ENV.ecsMetadata));
}

function oidcProvider(idpId: string, idTokenFile: string, iamEndpoint: string, durationSeconds: number): HuaweiCredentialProvider {
  const options = { idpId, idTokenFile, iamEndpoint: iamEndpoint.replace(/\/+$/, ''), durationSeconds };
  return new RefreshingCredentials(OIDC_SOURCE, () => fetchOidcCredential(options));
}

function metadataProvider(endpoint: string): HuaweiCredentialProvider {
  const base = endpoint.replace(/\/+$/, '');
  return new RefreshingCredentials(METADATA_SOURCE, () => fetchEcsMetadataCredential(base));
}

/** `$HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the region's IAM, else the global one. */
function iamEndpointOf(cfg: HuaweiConnectionConfig, env: NodeJS.ProcessEnv): string {
  const fromEnv = nonEmpty(env[HUAWEI_ENV.iamEndpoint]);
  if (fromEnv) return httpUrlOf(fromEnv, HUAWEI_ENV.iamEndpoint);
  return cfg.region ? `https://iam.${cfg.region}.myhuaweicloud.com` : 'https://iam.myhuaweicloud.com';
}

function httpUrlOf(value: string, name: string): string {
  if (!/^https?:\/\/[^/]/.test(value) || !URL.canParse(value))
    throw new HuaweiConfigError(`${name} must be an http(s) URL, got "${value}"`);
  return value;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
