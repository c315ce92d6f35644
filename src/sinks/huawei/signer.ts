/**
 * Huawei Cloud AK/SK request signing (`SDK-HMAC-SHA256`), shared by the Cloud Eye and AOM sinks
 * and by the emulator, which verifies (src/emulator/huawei-verify.ts) with the same canonical form.
 *
 * Canonical request: METHOD \n URI (each segment encoded, always ending in `/`) \n sorted query
 * \n `name:value\n` per signed header \n signed header names \n hex(sha256(body)).
 * StringToSign: `SDK-HMAC-SHA256\n{x-sdk-date}\nhex(sha256(canonical))`; signature =
 * hex(HMAC-SHA256(SK, StringToSign)).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const HUAWEI_ALGORITHM = 'SDK-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

// Canonicalisation shared by every signer family here (Huawei, Alibaba ACS3, and the emulator's
// SigV4 check): they differ only in algorithm names and key handling.

/** RFC 3986: unreserved characters stay literal; everything else is %XX of its UTF-8 bytes. */
export function rfc3986Encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decoded pairs → `k=v&...`, both encoded, sorted by encoded key then encoded value. */
export function canonicalQueryString(pairs: Iterable<readonly [string, string]>): string {
  return [...pairs]
    .map(([k, v]) => [rfc3986Encode(k), rfc3986Encode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `name:value\n` per signed header (values trimmed; SigV4 also collapses inner whitespace). */
export function canonicalHeaderBlock(
  headers: Readonly<Record<string, string>>,
  signedHeaders: readonly string[],
  collapseSpaces = false,
): string {
  let block = '';
  for (const name of signedHeaders) {
    const value = (headers[name] ?? '').trim();
    block += `${name}:${collapseSpaces ? value.replace(/\s+/g, ' ') : value}\n`;
  }
  return block;
}

/** The values of the named headers as received (node:http joins repeated headers into arrays). */
export function signedHeaderValues(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = headers[name];
    out[name] = Array.isArray(v) ? v.join(',') : (v ?? '');
  }
  return out;
}

/** `YYYYMMDDTHHMMSSZ` (the x-sdk-date form). */
export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function parseSdkDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export interface CanonicalParts {
  method: string;
  /** Path whose segments get encoded (decoded for Huawei/ACS3; for SigV4 the path as sent). */
  path: string;
  query: Iterable<readonly [string, string]>;
  /** Lower-cased header name → value, for at least every signed header. */
  headers: Readonly<Record<string, string>>;
  /** Lower-cased, sorted. */
  signedHeaders: readonly string[];
  payloadHash: string;
}

/**
 * METHOD \n URI \n query \n headers \n signed names \n payload hash — the shape all three
 * families share. Huawei's URI always ends in `/`; SigV4 collapses whitespace in header values.
 */
export function canonicalRequestText(p: CanonicalParts, opts: { trailingSlash?: boolean; collapseSpaces?: boolean } = {}): string {
  let uri = p.path.split('/').map(rfc3986Encode).join('/') || '/';
  if (opts.trailingSlash && !uri.endsWith('/')) uri += '/';
  const headerBlock = canonicalHeaderBlock(p.headers, p.signedHeaders, opts.collapseSpaces);
  return [p.method.toUpperCase(), uri, canonicalQueryString(p.query), headerBlock, p.signedHeaders.join(';'), p.payloadHash].join('\n');
}

/** Huawei's canonical request (the URI always ends with `/`). */
export function canonicalRequest(p: CanonicalParts): string {
  return canonicalRequestText(p, { trailingSlash: true });
}

export function signature(sk: string, sdkDate: string, canonical: string): string {
  const stringToSign = `${HUAWEI_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
  return createHmac('sha256', sk).update(stringToSign).digest('hex');
}

export interface HuaweiSignInput {
  method: string;
  /** Full URL, e.g. `https://ces.cn-north-4.myhuaweicloud.com/V1.0/{project}/events?x=1`. */
  url: string | URL;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  ak: string;
  sk: string;
  date?: Date;
  /** Temporary credentials add `X-Security-Token`. */
  securityToken?: string;
  projectId?: string;
}

/**
 * Signs a request like Huawei's SDK does: every header given is signed, plus `host` and
 * `x-sdk-date`. Returns the full header set to send (input headers + auth headers).
 */
export function signHuaweiRequest(input: HuaweiSignInput): Record<string, string> {
  const url = typeof input.url === 'string' ? new URL(input.url) : input.url;
  const out: Record<string, string> = { ...input.headers };
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(out)) lower[k.toLowerCase()] = v;
  if (!('host' in lower)) out.host = lower.host = url.host;
  const sdkDate = lower['x-sdk-date'] ?? formatSdkDate(input.date ?? new Date());
  if (!('x-sdk-date' in lower)) out['X-Sdk-Date'] = lower['x-sdk-date'] = sdkDate;
  if (input.securityToken !== undefined) out['X-Security-Token'] = lower['x-security-token'] = input.securityToken;
  if (input.projectId !== undefined) out['X-Project-Id'] = lower['x-project-id'] = input.projectId;
  const signedHeaders = Object.keys(lower).sort();
  const payloadHash = lower['x-sdk-content-sha256'] ?? sha256Hex(input.body ?? '');
  const canonical = canonicalRequest({
    method: input.method,
    path: decodeURIComponent(url.pathname),
    query: url.searchParams,
    headers: lower,
    signedHeaders,
    payloadHash,
  });
  out.Authorization = `${HUAWEI_ALGORITHM} Access=${input.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature(input.sk, sdkDate, canonical)}`;
  return out;
}

/** Constant-time comparison of two ASCII signatures. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
