import { z } from 'zod';
import { CredentialCache } from '../credential-cache.ts';
import { identityCall, type IdentityReply, parseReply, readTokenFile } from '../identity-endpoint.ts';
import { parseHuaweiError } from './error-classifier.ts';

export type HuaweiAuth = { kind: 'aksk'; ak: string; sk: string; securityToken?: string } | { kind: 'token'; token: string };

/** No credentials could be obtained; a send turns it into a retryable `huawei.credentials` outcome. */
export class HuaweiCredentialError extends Error {}

/** Where a Huawei call gets its credentials from; asked on every call (cheap once cached). */
export interface HuaweiCredentialProvider {
  /** What the credentials are, for messages: "config credentials", "CCE workload identity (OIDC)"… */
  readonly source: string;
  /** Rejects with a `HuaweiCredentialError` when none can be obtained. */
  get(): Promise<HuaweiAuth>;
  /**
   * The gateway said the credential in hand is expired (`APIGW.0307`, a token or a temporary
   * AK/SK past its time): the next `get` fetches a new one. Static credentials have nothing to renew.
   */
  invalidate?(): void;
}

export function staticCredentials(source: string, auth: HuaweiAuth): HuaweiCredentialProvider {
  const value = Promise.resolve(auth);
  return { source, get: () => value };
}

/** Temporary AK/SK with their security token, as IAM and the ECS metadata service issue them. */
export interface TemporaryCredential {
  ak: string;
  sk: string;
  securityToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A credential is replaced this long before it expires. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** A credential is not used any more this close to its expiry (clock skew, request in flight). */
const EXPIRY_SLACK_MS = 30_000;
/** Each IAM or metadata request gives up after this long. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * Temporary credentials (workload identity, ECS metadata) through the shared CredentialCache:
 * refreshed ahead of expiry, one refresh at a time; a failed refresh keeps the old credential
 * while it is still valid; with none left, `get` rejects and the batch is retried later.
 */
export class RefreshingCredentials implements HuaweiCredentialProvider {
  readonly source: string;
  private cache: CredentialCache<HuaweiAuth>;
  private readonly newCache: () => CredentialCache<HuaweiAuth>;

  constructor(source: string, fetchCredential: () => Promise<TemporaryCredential>, now: () => number = Date.now) {
    this.source = source;
    this.newCache = () =>
      new CredentialCache(
        async () => {
          const c = await fetchCredential();
          return { value: toAuth(c), expiresAt: c.expiresAt };
        },
        { refreshAheadMs: REFRESH_AHEAD_MS, expirySlackMs: EXPIRY_SLACK_MS, now },
      );
    this.cache = this.newCache();
  }

  /** Drops the credential in hand (the gateway refused it as expired): the next call fetches anew. */
  invalidate(): void {
    this.cache = this.newCache();
  }

  get(): Promise<HuaweiAuth> {
    return this.cache.get().catch((err: unknown) => {
      throw new HuaweiCredentialError(`${this.source}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

function toAuth(c: TemporaryCredential): HuaweiAuth {
  return { kind: 'aksk', ak: c.ak, sk: c.sk, securityToken: c.securityToken };
}

/** `{credential: {access, secret, securitytoken, expires_at}}`: IAM securitytokens and ECS securitykey alike. */
const credentialAnswer = z.object({
  credential: z.object({
    access: z.string().min(1),
    secret: z.string().min(1),
    securitytoken: z.string().min(1),
    expires_at: z.string().transform((s, ctx) => {
      const t = Date.parse(s);
      if (Number.isNaN(t)) ctx.addIssue({ code: 'custom', message: `not a time: ${JSON.stringify(s)}` });
      return t;
    }),
  }),
});

function parseCredential(body: string, what: string): TemporaryCredential {
  const c = parseReply(what, credentialAnswer, body).credential;
  return { ak: c.access, sk: c.secret, securityToken: c.securitytoken, expiresAt: c.expires_at };
}

/** One request to IAM or the metadata service; no answer or a non-2xx (unless `accept`ed) throws. */
async function credentialCall(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: unknown },
  what: string,
  accept: readonly number[] = [],
): Promise<IdentityReply> {
  const reply = await identityCall(
    what,
    url,
    {
      method: init.method,
      headers: { ...init.headers, ...(init.body !== undefined ? { 'Content-Type': 'application/json;charset=utf8' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    },
    CALL_TIMEOUT_MS,
  );
  if ((reply.status < 200 || reply.status >= 300) && !accept.includes(reply.status)) {
    const e = parseHuaweiError(reply);
    throw new HuaweiCredentialError(`${what} answered HTTP ${e.status} ${e.code}: ${e.message}`);
  }
  return reply;
}

export interface OidcOptions {
  idpId: string;
  /** Re-read at each refresh: kubelet rotates the projected token. */
  idTokenFile: string;
  /** Base URL without trailing slash. */
  iamEndpoint: string;
  /** Lifetime asked of the temporary AK/SK (IAM allows 900 s – 24 h). */
  durationSeconds: number;
}

/**
 * CCE workload identity: the projected service-account id token → IAM federation
 * (`POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id`, token in `X-Subject-Token`) → temporary
 * AK/SK and security token (`POST /v3.0/OS-CREDENTIAL/securitytokens`), as the Huawei SDKs do.
 */
export async function fetchOidcCredential(o: OidcOptions): Promise<TemporaryCredential> {
  const idToken = await readTokenFile('id token', o.idTokenFile);
  const federated = await credentialCall(
    `${o.iamEndpoint}/v3.0/OS-AUTH/id-token/tokens`,
    { method: 'POST', headers: { 'X-Idp-Id': o.idpId }, body: { auth: { id_token: { id: idToken } } } },
    'IAM (token with id token)',
  );
  const token = federated.headers.get('x-subject-token');
  if (!token) throw new HuaweiCredentialError('IAM (token with id token) answered without an X-Subject-Token header');
  const sts = await credentialCall(
    `${o.iamEndpoint}/v3.0/OS-CREDENTIAL/securitytokens`,
    { method: 'POST', body: { auth: { identity: { methods: ['token'], token: { id: token, duration_seconds: o.durationSeconds } } } } },
    'IAM (security token)',
  );
  return parseCredential(sts.body, 'IAM (security token)');
}

export const ECS_METADATA_ENDPOINT = 'http://169.254.169.254';
const METADATA_SESSION_TTL_SECONDS = 6 * 60 * 60;

/**
 * The temporary AK/SK of the ECS agency: `GET /openstack/latest/securitykey`, with a session token
 * (`PUT /meta-data/latest/api/token`) where the metadata service supports one (404/405: it does not).
 */
export async function fetchEcsMetadataCredential(endpoint: string): Promise<TemporaryCredential> {
  const session = await credentialCall(
    `${endpoint}/meta-data/latest/api/token`,
    { method: 'PUT', headers: { 'X-Metadata-Token-Ttl-Seconds': String(METADATA_SESSION_TTL_SECONDS) } },
    'ECS metadata (session token)',
    [404, 405],
  );
  const headers: Record<string, string> =
    session.status === 200 && session.body.trim() !== '' ? { 'X-Metadata-Token': session.body.trim() } : {};
  const key = await credentialCall(`${endpoint}/openstack/latest/securitykey`, { method: 'GET', headers }, 'ECS metadata (securitykey)');
  return parseCredential(key.body, 'ECS metadata (securitykey)');
}
