/**
 * Verification of Huawei `SDK-HMAC-SHA256` signatures, as the API gateway does it: the emulator's
 * side of the signer in src/sinks/huawei/signer.ts (same canonical form).
 */
import {
  HUAWEI_ALGORITHM,
  UNSIGNED_PAYLOAD,
  canonicalRequest,
  constantTimeEqual,
  formatSdkDate,
  parseSdkDate,
  sha256Hex,
  signature,
  signedHeaderValues,
} from '../sinks/huawei/signer.ts';

/** Requests this far from the gateway's clock are refused (PROVIDERS.md; API Gateway FAQ apig-faq-0009). */
export const HUAWEI_MAX_SKEW_MS = 15 * 60 * 1000;

export interface ParsedHuaweiAuthorization {
  access: string;
  signedHeaders: string[];
  signature: string;
}

export function parseHuaweiAuthorization(value: string): ParsedHuaweiAuthorization | undefined {
  if (!value.startsWith(`${HUAWEI_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(HUAWEI_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const access = fields.get('Access');
  const signedHeaders = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (!access || !signedHeaders || !sig) return undefined;
  return { access, signedHeaders: signedHeaders.split(';'), signature: sig };
}

export interface HuaweiVerifyInput {
  method: string;
  /** Decoded path. */
  path: string;
  query: Iterable<readonly [string, string]>;
  /** Lower-cased header names, as node:http delivers them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array;
  /** Returns the SK of an AK, or undefined when the AK is unknown. */
  secretFor(ak: string): string | undefined;
  now?: number;
  maxSkewMs?: number;
}

export type HuaweiVerifyResult =
  | { ok: true; ak: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown_key' | 'expired' | 'mismatch'; message: string };

/** Verifies an `SDK-HMAC-SHA256` Authorization header against the request as received. */
export function verifyHuaweiRequest(input: HuaweiVerifyInput): HuaweiVerifyResult {
  const header = input.headers.authorization;
  if (typeof header !== 'string' || header === '') return { ok: false, reason: 'missing', message: 'Authorization not found' };
  const auth = parseHuaweiAuthorization(header);
  if (!auth) return { ok: false, reason: 'malformed', message: 'Authorization format incorrect' };
  const flat = signedHeaderValues(input.headers, auth.signedHeaders);
  const sdkDate = typeof input.headers['x-sdk-date'] === 'string' ? input.headers['x-sdk-date'] : undefined;
  const date = sdkDate ? parseSdkDate(sdkDate) : undefined;
  if (!sdkDate || !date || !auth.signedHeaders.includes('x-sdk-date')) {
    return { ok: false, reason: 'malformed', message: 'x-sdk-date not found or not signed' };
  }
  const sk = input.secretFor(auth.access);
  if (sk === undefined) return { ok: false, reason: 'unknown_key', message: `ak ${auth.access} not exist` };
  const now = input.now ?? Date.now();
  if (Math.abs(now - date.getTime()) > (input.maxSkewMs ?? HUAWEI_MAX_SKEW_MS)) {
    // The gateway's words (Huawei SIS FAQ sis_04_0087; API Gateway FAQ apig-faq-0009 for the times).
    const serverTime = formatSdkDate(new Date(now));
    return {
      ok: false,
      reason: 'expired',
      message: `calc ak sk signature fail:signature expired, signature time:${sdkDate},server time:${serverTime}`,
    };
  }
  const claimed = input.headers['x-sdk-content-sha256'];
  const payloadHash = claimed === UNSIGNED_PAYLOAD ? UNSIGNED_PAYLOAD : sha256Hex(input.body);
  const expected = signature(
    sk,
    sdkDate,
    canonicalRequest({
      method: input.method,
      path: input.path,
      query: input.query,
      headers: flat,
      signedHeaders: auth.signedHeaders,
      payloadHash,
    }),
  );
  if (!constantTimeEqual(expected, auth.signature)) return { ok: false, reason: 'mismatch', message: 'verify aksk signature fail' };
  return { ok: true, ak: auth.access };
}
