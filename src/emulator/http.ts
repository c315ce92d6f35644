/** The emulator's request/response values: parsed once at the edge, plain data afterwards. */
import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';

export interface EmuRequest {
  method: string;
  /** Path as received (still percent-encoded), without the query. */
  rawPath: string;
  /** Path segments, each percent-decoded. */
  segments: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAt: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** What the stats count this reply as: an error code, or undefined for success. */
  errorCode?: string;
  /** The reply is the provider's throttling answer (counted under `throttled`). */
  throttled?: boolean;
  /** Events accepted by this request. */
  accepted?: number;
  /** Per-entry failures inside a successful reply, by error code. */
  entryFailures?: Record<string, number>;
}

export function jsonReply(status: number, value: unknown, contentType = 'application/json', extra: Partial<Reply> = {}): Reply {
  const { headers, ...rest } = extra;
  return { ...rest, status, headers: { 'content-type': contentType, ...headers }, body: JSON.stringify(value) };
}

export function header(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Decoded path (segments re-joined), for signature canonicalisation. */
export function decodedPath(req: EmuRequest): string {
  return `/${req.segments.join('/')}`;
}

/** Retry-After in whole seconds, as HTTP wants it. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** 32 lower-case hex characters, the Huawei request-id form. */
export function hexId(): string {
  return randomBytes(16).toString('hex');
}

export function upperUuid(): string {
  return randomUUID().toUpperCase();
}
