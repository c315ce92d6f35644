/**
 * Alibaba Cloud request signing (the emulator's checks in emulator/alibaba-signature.ts use it):
 * - RPC "v1": HMAC-SHA1 over `METHOD&%2F&` + percentEncode(sorted, encoded `k=v` pairs);
 * - "v3" ACS3-HMAC-SHA256: a SigV4-like canonical request without key derivation.
 * Percent-encoding follows RFC 3986: only `A-Za-z0-9-_.~` stay literal, space is `%20`.
 */
import { createHmac, randomUUID } from 'node:crypto';
// The canonicalisation helpers live with the Huawei signer; both families use the same rules.
import { type CanonicalParts, canonicalRequestText, rfc3986Encode, sha256Hex } from '../huawei/signer.ts';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';
export const percentEncode = rfc3986Encode;

/** `yyyy-MM-ddTHH:mm:ssZ`, the form of `Timestamp` and `x-acs-date`. */
export function formatAlibabaTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The inverse of `formatAlibabaTimestamp`; undefined for anything else. */
export function parseAlibabaTimestamp(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

// ---------------------------------------------------------------------------------------------
// RPC v1 (HMAC-SHA1)

export function rpcV1StringToSign(method: string, params: Readonly<Record<string, string>>): string {
  const canonical = Object.entries(params)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

/** base64(HMAC-SHA1(secret + "&", StringToSign)); `params` must not contain `Signature`. */
export function rpcV1Signature(method: string, params: Readonly<Record<string, string>>, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(rpcV1StringToSign(method, params)).digest('base64');
}

export interface RpcV1SignInput {
  method: string;
  /** API parameters (Action, Version, EventInfo.1.EventName, ...). */
  params: Readonly<Record<string, string>>;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  nonce?: string;
  date?: Date;
  format?: string;
}

/** Adds the common parameters and `Signature`; send the result as query or form parameters. */
export function signRpcV1(input: RpcV1SignInput): Record<string, string> {
  const params: Record<string, string> = {
    Format: input.format ?? 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: input.nonce ?? randomUUID(),
    Timestamp: formatAlibabaTimestamp(input.date ?? new Date()),
    AccessKeyId: input.accessKeyId,
    ...input.params,
  };
  if (input.securityToken !== undefined) params.SecurityToken = input.securityToken;
  params.Signature = rpcV1Signature(input.method, params, input.accessKeySecret);
  return params;
}

// ---------------------------------------------------------------------------------------------
// ACS3-HMAC-SHA256

export function acs3CanonicalRequest(p: CanonicalParts): string {
  return canonicalRequestText(p);
}

export function acs3Signature(secret: string, canonical: string): string {
  return createHmac('sha256', secret)
    .update(`${ACS3_ALGORITHM}\n${sha256Hex(canonical)}`)
    .digest('hex');
}

export interface Acs3SignInput {
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  action: string;
  version: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  nonce?: string;
  date?: Date;
}

/** Returns the headers to send: input headers + x-acs-* + host + Authorization. */
export function signAcs3(input: Acs3SignInput): Record<string, string> {
  const url = typeof input.url === 'string' ? new URL(input.url) : input.url;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  headers.host ??= url.host;
  headers['x-acs-action'] = input.action;
  headers['x-acs-version'] = input.version;
  headers['x-acs-date'] ??= formatAlibabaTimestamp(input.date ?? new Date());
  headers['x-acs-signature-nonce'] ??= input.nonce ?? randomUUID();
  headers['x-acs-content-sha256'] = sha256Hex(input.body ?? '');
  if (input.securityToken !== undefined) headers['x-acs-security-token'] = input.securityToken;
  const signedHeaders = Object.keys(headers)
    .filter((h) => h === 'host' || h === 'content-type' || h.startsWith('x-acs-'))
    .sort();
  const canonical = acs3CanonicalRequest({
    method: input.method,
    path: decodeURIComponent(url.pathname),
    query: url.searchParams,
    headers,
    signedHeaders,
    payloadHash: headers['x-acs-content-sha256'],
  });
  headers.authorization = `${ACS3_ALGORITHM} Credential=${input.accessKeyId},SignedHeaders=${signedHeaders.join(';')},Signature=${acs3Signature(input.accessKeySecret, canonical)}`;
  return headers;
}
