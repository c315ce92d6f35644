import { expect } from 'vitest';
import { EMULATOR_CREDENTIALS } from '../../src/emulator/index.ts';
import { formatSdkDate } from '../../src/sinks/huawei/signer.ts';
import { AKSKSigner, readJson } from './vendor-clients.ts';

/** A Cloud Eye request for the negative matrices: what to send, and how it is signed. */
export interface CesCall {
  method?: string;
  /** Path after the base URL; default `/V1.0/{project}/events`. */
  path?: string;
  query?: Record<string, string>;
  /** A JSON body (signed as AKSKSigner hashes it: its JSON text). */
  body?: unknown;
  /** A raw body instead, sent with `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`. */
  raw?: string;
  ak?: string;
  sk?: string;
  /** Signing clock this far from the emulator's (ms). */
  clockOffsetMs?: number;
  /** Changes the body after signing. */
  tamper?: (text: string) => string;
  /** Sends `X-Auth-Token` instead of signing. */
  token?: string;
  /** Sends no credentials at all. */
  anonymous?: boolean;
}

const HW = EMULATOR_CREDENTIALS.huawei;

/** Signs with Huawei's AKSKSigner (@huaweicloud/huaweicloud-sdk-core) and sends. */
export async function cesCall(baseUrl: string, c: CesCall): Promise<Response> {
  const method = c.method ?? 'POST';
  const path = c.path ?? `/V1.0/${HW.projectId}/events`;
  const qs = c.query ? `?${new URLSearchParams(c.query)}` : '';
  let text = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  const base: Record<string, string> = { 'content-type': 'application/json' };
  if (c.raw !== undefined) base['X-Sdk-Content-Sha256'] = 'UNSIGNED-PAYLOAD';
  let headers: Record<string, string> = base;
  if (c.token !== undefined) headers = { ...base, 'X-Auth-Token': c.token };
  else if (!c.anonymous) {
    if (c.clockOffsetMs !== undefined) base['X-Sdk-Date'] = formatSdkDate(new Date(Date.now() + c.clockOffsetMs));
    const signed = AKSKSigner.sign(
      {
        endpoint: `${baseUrl}${path}`,
        method,
        headers: base,
        ...(c.query ? { queryParams: c.query } : {}),
        ...(c.raw === undefined && c.body !== undefined ? { data: c.body } : {}),
      },
      { getAk: () => c.ak ?? HW.ak, getSk: () => c.sk ?? HW.sk },
    );
    const { host: _host, ...rest } = signed;
    headers = rest;
  }
  if (text !== undefined && c.tamper) text = c.tamper(text);
  return fetch(`${baseUrl}${path}${qs}`, { method, headers, ...(text !== undefined ? { body: text } : {}) });
}

/**
 * Checks a refusal: Cloud Eye's own `{http_code, message: {details, code}}` for `ces.*` codes, the
 * API gateway's `{error_code, error_msg, request_id}` for the others.
 */
export async function expectCesRefusal(res: Response, status: number, code: string, message: RegExp): Promise<void> {
  expect(res.status).toBe(status);
  const body = await readJson(res);
  if (code.startsWith('ces.')) {
    expect(body).toMatchObject({ http_code: status, message: { code } });
    expect(body.message.details).toMatch(message);
  } else {
    expect(body).toMatchObject({ error_code: code, request_id: expect.any(String) });
    expect(body.error_msg).toMatch(message);
  }
  expect(res.headers.get('date')).toBeTruthy();
}
