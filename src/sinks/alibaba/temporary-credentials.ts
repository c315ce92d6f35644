/**
 * Where temporary Alibaba Cloud credentials come from:
 * - RRSA (ACK pods): STS `AssumeRoleWithOIDC` (version 2015-04-01), an anonymous RPC call: no
 *   AccessKey and no signature, the OIDC token the kubelet mounts is the proof of identity;
 * - the ECS RAM role: the instance metadata service, in hardened mode (a session token from
 *   `PUT /latest/api/token`) unless that is not available and normal mode is allowed.
 * Answers are parsed with zod (identity-endpoint.ts); anything unexpected throws, and the
 * provider hands it on as a `CredentialFetchError` (retryable).
 */
import { z } from 'zod';
import { clip } from '../clip.ts';
import { identityCall, parseReply, readTokenFile } from '../identity-endpoint.ts';
import type { AlibabaCredentials } from './credentials.ts';
import { formatAlibabaTimestamp, percentEncode } from './signer.ts';

/** Credentials that stop working at `expiresAt` (epoch ms). */
export interface TemporaryCredentials extends AlibabaCredentials {
  securityToken: string;
  expiresAt: number;
}

export class CredentialFetchError extends Error {}

export const STS_VERSION = '2015-04-01';
/** The metadata service's own limit for a session token is 21600 s (6 h). */
const METADATA_TOKEN_TTL_SECONDS = 21600;
const STS_TIMEOUT_MS = 10_000;
const METADATA_TIMEOUT_MS = 5_000;

const expiration = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'Expiration is not a date');
const temporaryFields = {
  AccessKeyId: z.string().min(1),
  AccessKeySecret: z.string().min(1),
  SecurityToken: z.string().min(1),
  Expiration: expiration,
};
const stsAnswer = z.object({ Credentials: z.object(temporaryFields) });
const stsError = z.object({ Code: z.string(), Message: z.string().optional() });
const metadataAnswer = z.object({ Code: z.literal('Success'), ...temporaryFields });

function toTemporary(c: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string }): TemporaryCredentials {
  return {
    accessKeyId: c.AccessKeyId,
    accessKeySecret: c.AccessKeySecret,
    securityToken: c.SecurityToken,
    expiresAt: Date.parse(c.Expiration),
  };
}

export interface OidcRoleOptions {
  roleArn: string;
  oidcProviderArn: string;
  /** Read again at every refresh: the kubelet rotates it. */
  oidcTokenFile: string;
  roleSessionName: string;
  durationSeconds: number;
  /** Base URL of STS, e.g. `https://sts.cn-hangzhou.aliyuncs.com`. */
  stsEndpoint: string;
}

export async function assumeRoleWithOidc(o: OidcRoleOptions): Promise<TemporaryCredentials> {
  const what = 'STS AssumeRoleWithOIDC';
  const token = await readTokenFile('OIDC token', o.oidcTokenFile);
  const url = new URL(o.stsEndpoint);
  for (const [k, v] of Object.entries({
    Action: 'AssumeRoleWithOIDC',
    Version: STS_VERSION,
    Format: 'JSON',
    Timestamp: formatAlibabaTimestamp(new Date()),
  }))
    url.searchParams.set(k, v);
  const form = {
    RoleArn: o.roleArn,
    OIDCProviderArn: o.oidcProviderArn,
    OIDCToken: token,
    RoleSessionName: o.roleSessionName,
    DurationSeconds: String(o.durationSeconds),
  };
  const body = Object.entries(form)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  const res = await identityCall(
    what,
    url.href,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
    STS_TIMEOUT_MS,
  );
  if (res.status !== 200) {
    let detail = clip(res.body, 300) || 'empty body';
    try {
      const e = stsError.safeParse(JSON.parse(res.body));
      if (e.success) detail = `${e.data.Code}${e.data.Message ? `: ${e.data.Message}` : ''}`;
    } catch {
      // not JSON: keep the text
    }
    throw new CredentialFetchError(`${what} failed (HTTP ${res.status}): ${detail}`);
  }
  return toTemporary(parseReply(what, stsAnswer, res.body).Credentials);
}

export interface EcsRoleOptions {
  roleName: string;
  /** Base URL of the metadata service, `http://100.100.100.200` on ECS. */
  metadataEndpoint: string;
  /** Hardened mode only: fail when no metadata token can be had. */
  requireToken: boolean;
}

/** A session token for hardened mode, or undefined when normal mode is allowed and this fails. */
async function metadataToken(o: EcsRoleOptions): Promise<string | undefined> {
  const what = 'ECS metadata token';
  const url = new URL('/latest/api/token', o.metadataEndpoint).href;
  try {
    const res = await identityCall(
      what,
      url,
      { method: 'PUT', headers: { 'x-aliyun-ecs-metadata-token-ttl-seconds': String(METADATA_TOKEN_TTL_SECONDS) } },
      METADATA_TIMEOUT_MS,
    );
    if (res.status !== 200 || !res.body.trim())
      throw new CredentialFetchError(`${what} failed (HTTP ${res.status}): ${clip(res.body, 200) || 'empty body'}`);
    return res.body.trim();
  } catch (err) {
    if (o.requireToken) throw err;
    return undefined;
  }
}

export async function ecsRamRoleCredentials(o: EcsRoleOptions): Promise<TemporaryCredentials> {
  const what = `ECS RAM role ${o.roleName}`;
  const token = await metadataToken(o);
  const url = new URL(`/latest/meta-data/ram/security-credentials/${encodeURIComponent(o.roleName)}`, o.metadataEndpoint).href;
  const res = await identityCall(
    what,
    url,
    { method: 'GET', headers: token ? { 'x-aliyun-ecs-metadata-token': token } : {} },
    METADATA_TIMEOUT_MS,
  );
  if (res.status !== 200)
    throw new CredentialFetchError(`${what}: metadata service answered HTTP ${res.status}: ${clip(res.body, 300) || 'empty body'}`);
  return toTemporary(parseReply(what, metadataAnswer, res.body));
}
