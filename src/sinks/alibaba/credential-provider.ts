/**
 * The credential chain of an Alibaba sink, in the order of Alibaba's own default chain:
 * 1. static config credentials; 2. `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` (+ `_SECURITY_TOKEN`);
 * 3. RRSA: `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
 *    `ALIBABA_CLOUD_OIDC_TOKEN_FILE` → STS AssumeRoleWithOIDC;
 * 4. the ECS RAM role named by `ecs_ram_role` or `ALIBABA_CLOUD_ECS_METADATA` (the metadata
 *    address is never probed unless a role is named);
 * 5. the emulator's credentials when calling one.
 * The source is chosen once, when the sink starts; temporary credentials are fetched on first
 * use, cached, and refreshed ahead of expiry by one request that concurrent callers share.
 */
import type { Logger } from '../../observability/logger.ts';
import type { EmulatorCredentials } from '../emulator-target.ts';
import { CredentialCache } from '../credential-cache.ts';
import { AlibabaConfigError, type AlibabaCredentials } from './credentials.ts';
import { CredentialFetchError, assumeRoleWithOidc, ecsRamRoleCredentials, type TemporaryCredentials } from './temporary-credentials.ts';

export type CredentialSource = 'config' | 'env' | 'rrsa' | 'ecs_ram_role' | 'emulator';

export interface AlibabaCredentialProvider {
  readonly source: CredentialSource;
  /** Current credentials; rejects with a `CredentialFetchError` when none can be had. */
  get(): Promise<AlibabaCredentials>;
}

export interface AlibabaCredentialConfig {
  credentials?: { access_key_id: string; access_key_secret: string; security_token?: string | undefined } | undefined;
  ecs_ram_role?: string | undefined;
  sts_endpoint?: string | undefined;
  metadata_endpoint?: string | undefined;
}

export interface ChainOptions {
  /** The emulator's credentials, when calling one. */
  emulator?: EmulatorCredentials['alibaba'] | undefined;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Clock for expiry decisions (tests). */
  now?: () => number;
}

/** Refresh this long before `Expiration` (the official SDKs use 3 minutes). */
export const REFRESH_MARGIN_MS = 3 * 60 * 1000;
/** After a failed refresh, old credentials that still work are used this long before trying again. */
export const RETRY_AFTER_FAILURE_MS = 10_000;
export const DEFAULT_METADATA_ENDPOINT = 'http://100.100.100.200';
const ROLE_SESSION_SECONDS = 3600;

const nonEmpty = (v: string | undefined): string | undefined => (v && v.trim() !== '' ? v.trim() : undefined);

function withToken(id: string, secret: string, token: string | undefined): AlibabaCredentials {
  return { accessKeyId: id, accessKeySecret: secret, ...(token ? { securityToken: token } : {}) };
}

function fixed(source: CredentialSource, credentials: AlibabaCredentials): AlibabaCredentialProvider {
  return { source, get: () => Promise.resolve(credentials) };
}

/**
 * STS base URL: `sts_endpoint`, else `ALIBABA_CLOUD_STS_ENDPOINT` (a host, or a URL), else
 * `sts[-vpc].{ALIBABA_CLOUD_STS_REGION}.aliyuncs.com` (`-vpc` with
 * `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`), else the central `sts.aliyuncs.com`.
 */
export function stsEndpoint(cfg: AlibabaCredentialConfig, env: NodeJS.ProcessEnv): string {
  const given = cfg.sts_endpoint ?? nonEmpty(env.ALIBABA_CLOUD_STS_ENDPOINT);
  if (given) return given.includes('://') ? given : `https://${given}`;
  const region = nonEmpty(env.ALIBABA_CLOUD_STS_REGION);
  if (!region) return 'https://sts.aliyuncs.com';
  const vpc = env.ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED?.toLowerCase() === 'true';
  return `https://${vpc ? 'sts-vpc' : 'sts'}.${region}.aliyuncs.com`;
}

/** Picks the first source of the chain that is configured; throws AlibabaConfigError if none is. */
export function alibabaCredentialProvider(cfg: AlibabaCredentialConfig, opts: ChainOptions = {}): AlibabaCredentialProvider {
  const env = opts.env ?? process.env;
  const c = cfg.credentials;
  if (c) return fixed('config', withToken(c.access_key_id, c.access_key_secret, c.security_token));
  const id = nonEmpty(env.ALIBABA_CLOUD_ACCESS_KEY_ID);
  const secret = nonEmpty(env.ALIBABA_CLOUD_ACCESS_KEY_SECRET);
  if (id && secret) return fixed('env', withToken(id, secret, nonEmpty(env.ALIBABA_CLOUD_SECURITY_TOKEN)));
  const roleArn = nonEmpty(env.ALIBABA_CLOUD_ROLE_ARN);
  const oidcProviderArn = nonEmpty(env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN);
  const oidcTokenFile = nonEmpty(env.ALIBABA_CLOUD_OIDC_TOKEN_FILE);
  if (roleArn && oidcProviderArn && oidcTokenFile) {
    const o = {
      roleArn,
      oidcProviderArn,
      oidcTokenFile,
      roleSessionName: nonEmpty(env.ALIBABA_CLOUD_ROLE_SESSION_NAME) ?? `log2events-${Date.now()}`,
      durationSeconds: ROLE_SESSION_SECONDS,
      stsEndpoint: stsEndpoint(cfg, env),
    };
    return new RefreshingProvider('rrsa', () => assumeRoleWithOidc(o), opts);
  }
  const ecsDisabled = env.ALIBABA_CLOUD_ECS_METADATA_DISABLED?.toLowerCase() === 'true';
  const roleName = cfg.ecs_ram_role ?? (ecsDisabled ? undefined : nonEmpty(env.ALIBABA_CLOUD_ECS_METADATA));
  if (roleName) {
    const o = {
      roleName,
      metadataEndpoint: cfg.metadata_endpoint ?? DEFAULT_METADATA_ENDPOINT,
      requireToken: env.ALIBABA_CLOUD_IMDSV1_DISABLE?.toLowerCase() === 'true',
    };
    return new RefreshingProvider('ecs_ram_role', () => ecsRamRoleCredentials(o), opts);
  }
  if (opts.emulator) return fixed('emulator', withToken(opts.emulator.accessKeyId, opts.emulator.accessKeySecret, undefined));
  throw new AlibabaConfigError(
    'no credentials: set credentials { access_key_id, access_key_secret } or ecs_ram_role, or ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, ' +
      'or RRSA (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), or ALIBABA_CLOUD_ECS_METADATA (ECS RAM role name)',
  );
}

/**
 * Temporary credentials (RRSA, ECS RAM role) through the shared CredentialCache: refreshed
 * REFRESH_MARGIN_MS before they expire, one refresh at a time; a failed refresh keeps the old
 * credentials while they are valid (trying again after RETRY_AFTER_FAILURE_MS); without valid
 * ones the caller gets a CredentialFetchError.
 */
export class RefreshingProvider implements AlibabaCredentialProvider {
  readonly source: CredentialSource;
  private readonly cache: CredentialCache<AlibabaCredentials>;

  constructor(source: CredentialSource, fetchCredentials: () => Promise<TemporaryCredentials>, opts: ChainOptions = {}) {
    this.source = source;
    const logger = opts.logger;
    this.cache = new CredentialCache(
      async () => {
        const c = await fetchCredentials();
        return { value: strip(c), expiresAt: c.expiresAt };
      },
      {
        refreshAheadMs: REFRESH_MARGIN_MS,
        retryGapMs: RETRY_AFTER_FAILURE_MS,
        ...(opts.now ? { now: opts.now } : {}),
        onRefreshFailed: (err) =>
          logger?.warn('alibaba credentials refresh failed', { source, error: err instanceof Error ? err.message : String(err) }),
      },
    );
  }

  get(): Promise<AlibabaCredentials> {
    return this.cache.get().catch((err: unknown) => {
      throw err instanceof CredentialFetchError ? err : new CredentialFetchError(err instanceof Error ? err.message : String(err));
    });
  }
}

function strip(c: TemporaryCredentials): AlibabaCredentials {
  return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken };
}
