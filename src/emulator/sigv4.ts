/**
 * AWS SigV4 verification: the emulator recomputes the signature with @smithy/signature-v4 (the
 * signer the AWS SDK itself uses) over exactly the headers the client says it signed.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { constantTimeEqual } from '../sinks/huawei/signer.ts';

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

export const SIGV4_MAX_SKEW_MS = 15 * 60 * 1000;

export interface ParsedSigV4 {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseSigV4Authorization(value: string): ParsedSigV4 | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(value.trim());
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
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
  query: Record<string, string | string[]>;
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

const signers = new Map<string, SignatureV4>();

function signerFor(accessKeyId: string, secretAccessKey: string, sessionToken: string | undefined, region: string, service: string): SignatureV4 {
  const key = `${accessKeyId}\0${secretAccessKey}\0${sessionToken ?? ''}\0${region}\0${service}`;
  let signer = signers.get(key);
  if (!signer) {
    if (signers.size > 64) signers.clear();
    signer = new SignatureV4({
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      region,
      service,
      sha256: NodeSha256,
      // The client hands the signer its path already encoded once and the signer encodes it
      // again (non-S3 rule); the path on the wire is that once-encoded path.
      uriEscapePath: true,
    });
    signers.set(key, signer);
  }
  return signer;
}

/** Recomputes the SigV4 signature of a received request and compares it with the one sent. */
export async function verifySigV4(req: SigV4Request, expect: SigV4Expectation): Promise<SigV4Check> {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || auth === '') return { ok: false, reason: 'missing', message: 'Missing Authentication Token' };
  const parsed = parseSigV4Authorization(auth);
  if (!parsed) return { ok: false, reason: 'malformed', message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.` };
  const amzDate = req.headers['x-amz-date'];
  const date = typeof amzDate === 'string' ? parseAmzDate(amzDate) : undefined;
  if (!date || !parsed.signedHeaders.includes('x-amz-date') || !parsed.signedHeaders.includes('host')) {
    return { ok: false, reason: 'malformed', message: 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header, signed together with \'Host\'.' };
  }
  if (parsed.accessKeyId !== expect.accessKeyId) {
    return { ok: false, reason: 'unknown_key', message: 'The security token included in the request is invalid.' };
  }
  const now = expect.now ?? Date.now();
  if (Math.abs(now - date.getTime()) > (expect.maxSkewMs ?? SIGV4_MAX_SKEW_MS)) {
    return { ok: false, reason: 'expired', message: `Signature expired: ${amzDate} is now earlier or later than 15 minutes from the server time.` };
  }
  if (parsed.service !== expect.service) {
    return { ok: false, reason: 'scope', message: `Credential should be scoped to correct service: '${expect.service}'.` };
  }
  if (expect.region !== '*' && parsed.region !== expect.region) {
    return { ok: false, reason: 'scope', message: `Credential should be scoped to a valid region, not '${parsed.region}'.` };
  }
  if (parsed.date !== (amzDate as string).slice(0, 8)) {
    return { ok: false, reason: 'scope', message: 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.' };
  }
  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    const v = req.headers[name];
    headers[name] = Array.isArray(v) ? v.join(',') : (v ?? '');
  }
  const token = req.headers['x-amz-security-token'];
  const signer = signerFor(expect.accessKeyId, expect.secretAccessKey, typeof token === 'string' ? token : undefined, parsed.region, parsed.service);
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: headers.host ?? '', path: req.path, query: req.query, headers, body: req.body },
    { signingDate: date, signableHeaders: new Set(parsed.signedHeaders), signingRegion: parsed.region, signingService: parsed.service },
  );
  const recomputed = parseSigV4Authorization(String(signed.headers.authorization ?? ''));
  if (!recomputed || !constantTimeEqual(recomputed.signature, parsed.signature)) {
    return {
      ok: false,
      reason: 'mismatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true };
}
