/**
 * The emulator's check of Alibaba request signatures (RPC "v1" HMAC-SHA1 and ACS3-HMAC-SHA256),
 * built on the sink's signer so that both sides canonicalise alike; the tests prove both against
 * Alibaba's own @alicloud/openapi-util.
 */
import { constantTimeEqual, sha256Hex, signedHeaderValues } from '../sinks/huawei/signer.ts';
import { ACS3_ALGORITHM, acs3CanonicalRequest, acs3Signature, parseAlibabaTimestamp, rpcV1Signature } from '../sinks/alibaba/signer.ts';
import { CMS_SIGNATURE_MAX_SKEW_MS } from '../sinks/alibaba-cms/limits.ts';

export type AlibabaVerifyFailure = {
  ok: false;
  /** Alibaba's error code for this failure. */
  code:
    | 'MissingSignature'
    | 'IncompleteSignature'
    | 'InvalidAccessKeyId.NotFound'
    | 'InvalidTimeStamp.Format'
    | 'InvalidTimeStamp.Expired'
    | 'SignatureDoesNotMatch';
  message: string;
};
export type AlibabaVerifyResult = { ok: true; accessKeyId: string; nonce: string } | AlibabaVerifyFailure;

export interface RpcV1VerifyInput {
  method: string;
  /** Every parameter received (query and form), including `Signature`. */
  params: Readonly<Record<string, string>>;
  secretFor(accessKeyId: string): string | undefined;
  now?: number;
  maxSkewMs?: number;
}

export function verifyRpcV1(input: RpcV1VerifyInput): AlibabaVerifyResult {
  const { Signature: provided, ...signed } = input.params;
  if (!provided) return { ok: false, code: 'MissingSignature', message: 'Signature is mandatory for this action.' };
  const { AccessKeyId: ak, SignatureNonce: nonce, Timestamp: timestamp, SignatureMethod: method } = signed;
  if (!ak || !nonce || !timestamp || method !== 'HMAC-SHA1' || signed.SignatureVersion !== '1.0') {
    return { ok: false, code: 'IncompleteSignature', message: 'The request signature does not conform to Aliyun standards.' };
  }
  const secret = input.secretFor(ak);
  if (secret === undefined) return { ok: false, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' };
  const expired = checkSkew(timestamp, input.now, input.maxSkewMs);
  if (expired) return expired;
  if (!constantTimeEqual(rpcV1Signature(input.method, signed, secret), provided)) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: 'Specified signature is not matched with our calculation.' };
  }
  return { ok: true, accessKeyId: ak, nonce };
}

function checkSkew(timestamp: string, now = Date.now(), maxSkewMs = CMS_SIGNATURE_MAX_SKEW_MS): AlibabaVerifyFailure | undefined {
  const ms = parseAlibabaTimestamp(timestamp);
  if (ms === undefined)
    return { ok: false, code: 'InvalidTimeStamp.Format', message: 'Specified time stamp or date value is not well formatted.' };
  if (Math.abs(now - ms) > maxSkewMs) {
    return { ok: false, code: 'InvalidTimeStamp.Expired', message: 'Specified time stamp or date value is expired.' };
  }
  return undefined;
}

export interface Acs3VerifyInput {
  method: string;
  path: string;
  query: Iterable<readonly [string, string]>;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array;
  secretFor(accessKeyId: string): string | undefined;
  now?: number;
  maxSkewMs?: number;
}

export function verifyAcs3(input: Acs3VerifyInput): AlibabaVerifyResult {
  const auth = input.headers.authorization;
  if (typeof auth !== 'string' || !auth.startsWith(`${ACS3_ALGORITHM} `)) {
    return { ok: false, code: 'MissingSignature', message: 'Authorization is mandatory for this action.' };
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(ACS3_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const ak = fields.get('Credential');
  const signedList = fields.get('SignedHeaders');
  const provided = fields.get('Signature');
  const date = input.headers['x-acs-date'];
  const nonce = input.headers['x-acs-signature-nonce'];
  const claimedHash = input.headers['x-acs-content-sha256'];
  if (!ak || !signedList || !provided || typeof date !== 'string' || typeof nonce !== 'string' || typeof claimedHash !== 'string') {
    return { ok: false, code: 'IncompleteSignature', message: 'The request signature does not conform to Aliyun standards.' };
  }
  const signedHeaders = signedList.split(';');
  const secret = input.secretFor(ak);
  if (secret === undefined) return { ok: false, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' };
  const expired = checkSkew(date, input.now, input.maxSkewMs);
  if (expired) return expired;
  const mismatch: AlibabaVerifyFailure = {
    ok: false,
    code: 'SignatureDoesNotMatch',
    message: 'Specified signature is not matched with our calculation.',
  };
  // The body must hash to what the client signed; otherwise the signature covers another body.
  if (!signedHeaders.includes('x-acs-content-sha256') || claimedHash !== sha256Hex(input.body)) return mismatch;
  const flat = signedHeaderValues(input.headers, signedHeaders);
  const canonical = acs3CanonicalRequest({
    method: input.method,
    path: input.path,
    query: input.query,
    headers: flat,
    signedHeaders,
    payloadHash: claimedHash,
  });
  if (!constantTimeEqual(acs3Signature(secret, canonical), provided)) return mismatch;
  return { ok: true, accessKeyId: ak, nonce };
}
