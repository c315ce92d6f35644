import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { clip } from './clip.ts';
import { type HttpReply, MAX_ANSWER_BYTES, request } from './http-call.ts';

/**
 * What the providers' identity services (STS, IAM, instance metadata) are asked for temporary
 * credentials with, shared by the Alibaba and Huawei credential chains. Failures are plain
 * errors with a message that names what was asked; each chain's cache wraps them in its own
 * error type (a retryable outcome for the batch).
 */
export type IdentityReply = HttpReply;

/**
 * One request with its own time limit, through the sinks' HTTP client (no redirects, the
 * answer read up to MAX_ANSWER_BYTES); throws, naming the endpoint and the cause, when nothing
 * comes back.
 */
export async function identityCall(
  what: string,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<IdentityReply> {
  try {
    return await request(
      new URL(url),
      { method: init.method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) },
      AbortSignal.timeout(timeoutMs),
      MAX_ANSWER_BYTES,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    throw new Error(`${what}: no answer from ${url}: ${message}${cause}`);
  }
}

/**
 * A projected service-account token (`kind`: "OIDC token", "id token"), read again at every
 * refresh because the kubelet rotates it; throws when it cannot be read or is empty.
 */
export async function readTokenFile(kind: string, path: string): Promise<string> {
  let token: string;
  try {
    token = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new Error(`cannot read the ${kind} file ${path}: ${(err as Error).message}`);
  }
  if (token === '') throw new Error(`the ${kind} file ${path} is empty`);
  return token;
}

/** A JSON answer checked against `schema`; throws, saying which fields were wrong, when it is not one. */
export function parseReply<T>(what: string, schema: z.ZodType<T>, body: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(`${what}: the answer is not JSON: ${clip(body, 200)}`);
  }
  const r = schema.safeParse(json);
  if (!r.success)
    throw new Error(`${what}: unexpected answer (${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')})`);
  return r.data;
}
