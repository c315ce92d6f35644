/**
 * AWS SigV4 verification: the emulator recomputes the signature over exactly the headers the
 * client says it signed. It is an implementation independent of the SDK's signer on purpose
 * (and lean: one SHA-256 of the body, one of the canonical request, one HMAC per request);
 * tests prove it against the SDK and against @smithy/signature-v4 on the published vectors.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto';
import { type CanonicalParts, canonicalRequestText, constantTimeEqual, signedHeaderValues } from '../sinks/huawei/signer.ts';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** node:crypto behind smithy's Checksum interface (hash, or HMAC when given a secret). */
export class NodeSha256 {
  readonly #secret: Uint8Array | string | undefined;
  #h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytes(secret);
    this.#h = this.#fresh();
  }
  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
  update(data: SourceData): void {
    this.#h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
  reset(): void {
    this.#h = this.#fresh();
  }
}

/**
 * How far a request's X-Amz-Date may be from the server's clock: 5 minutes at AWS's JSON-protocol
 * services (their "Signature expired: … (… - 5 min.)" answers; PROVIDERS.md, December 2026).
 */
export const SIGV4_MAX_SKEW_MS = 5 * 60 * 1000;

export interface ParsedSigV4 {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseSigV4Authorization(value: string): ParsedSigV4 | undefined {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] = m;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** `20150830T123600Z` → Date. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export interface SigV4Request {
  method: string;
  /** Path as received (percent-encoded). */
  path: string;
  query: Iterable<readonly [string, string]>;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array | string;
}

export type SigV4Check =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown_key' | 'scope' | 'expired' | 'mismatch'; message: string };

export interface SigV4Expectation {
  accessKeyId: string;
  secretAccessKey: string;
  service: string;
  /** `*` accepts any region in the credential scope. */
  region: string;
  now?: number;
  maxSkewMs?: number;
}

const signingKeys = new Map<string, KeyObject>();

/** HMAC chain AWS4+secret → date → region → service → aws4_request, cached per scope. */
function signingKey(secret: string, date: string, region: string, service: string): KeyObject {
  const id = `${secret}\0${date}\0${region}\0${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    let k: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest();
    for (const part of [region, service, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
    if (signingKeys.size > 256) signingKeys.clear();
    // A KeyObject makes each per-request HMAC several times cheaper than a raw Buffer key.
    key = createSecretKey(k);
    signingKeys.set(id, key);
  }
  return key;
}

/** The canonical request of the non-S3 rules: the path as sent is encoded again, as AWS does. */
export function sigV4CanonicalRequest(p: CanonicalParts): string {
  return canonicalRequestText(p, { collapseSpaces: true });
}

export function sigV4Signature(secret: string, amzDate: string, region: string, service: string, canonical: string): string {
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  return createHmac('sha256', signingKey(secret, amzDate.slice(0, 8), region, service))
    .update(stringToSign)
    .digest('hex');
}

/** Recomputes the SigV4 signature of a received request and compares it with the one sent. */
export function verifySigV4(req: SigV4Request, expect: SigV4Expectation): SigV4Check {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || auth === '') return { ok: false, reason: 'missing', message: 'Missing Authentication Token' };
  const parsed = parseSigV4Authorization(auth);
  if (!parsed)
    return {
      ok: false,
      reason: 'malformed',
      message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.`,
    };
  const amzDate = req.headers['x-amz-date'];
  const date = typeof amzDate === 'string' ? parseAmzDate(amzDate) : undefined;
  if (!date || !parsed.signedHeaders.includes('x-amz-date') || !parsed.signedHeaders.includes('host')) {
    return {
      ok: false,
      reason: 'malformed',
      message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header, signed together with 'Host'.",
    };
  }
  if (parsed.accessKeyId !== expect.accessKeyId) {
    return { ok: false, reason: 'unknown_key', message: 'The security token included in the request is invalid.' };
  }
  const now = expect.now ?? Date.now();
  const skew = expect.maxSkewMs ?? SIGV4_MAX_SKEW_MS;
  if (Math.abs(now - date.getTime()) > skew)
    return { ok: false, reason: 'expired', message: skewMessage(amzDate as string, date.getTime(), now, skew) };
  if (parsed.service !== expect.service) {
    return { ok: false, reason: 'scope', message: `Credential should be scoped to correct service: '${expect.service}'.` };
  }
  if (expect.region !== '*' && parsed.region !== expect.region) {
    return { ok: false, reason: 'scope', message: `Credential should be scoped to a valid region, not '${parsed.region}'.` };
  }
  if (parsed.date !== (amzDate as string).slice(0, 8)) {
    return {
      ok: false,
      reason: 'scope',
      message: 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
    };
  }
  const headers = signedHeaderValues(req.headers, parsed.signedHeaders);
  // The signature covers the body's hash; a claimed x-amz-content-sha256 must be that hash.
  const payloadHash = createHash('sha256').update(req.body).digest('hex');
  const claimed = req.headers['x-amz-content-sha256'];
  const canonical = sigV4CanonicalRequest({
    method: req.method,
    path: req.path,
    query: req.query,
    headers,
    signedHeaders: parsed.signedHeaders,
    payloadHash,
  });
  const expected = sigV4Signature(expect.secretAccessKey, amzDate as string, parsed.region, parsed.service, canonical);
  if ((claimed !== undefined && claimed !== payloadHash) || !constantTimeEqual(expected, parsed.signature)) {
    return {
      ok: false,
      reason: 'mismatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true };
}

/** AWS's wording: `Signature expired: X is now earlier than Y (NOW - 5 min.)`, or `not yet current`. */
function skewMessage(amzDate: string, signedAt: number, now: number, skewMs: number): string {
  const min = Math.round(skewMs / 60_000);
  return signedAt < now
    ? `Signature expired: ${amzDate} is now earlier than ${toAmzDate(now - skewMs)} (${toAmzDate(now)} - ${min} min.)`
    : `Signature not yet current: ${amzDate} is still later than ${toAmzDate(now + skewMs)} (${toAmzDate(now)} + ${min} min.)`;
}

/** ms → `20150830T123600Z`. */
export function toAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
