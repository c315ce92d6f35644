import { EMULATOR_CREDENTIALS } from '../../src/emulator/index.ts';
import { formatSdkDate } from '../../src/sinks/huawei/signer.ts';
import { AKSKSigner } from './vendor-clients.ts';

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
      { endpoint: `${baseUrl}${path}`, method, headers: base, ...(c.query ? { queryParams: c.query } : {}), ...(c.raw === undefined && c.body !== undefined ? { data: c.body } : {}) },
      { getAk: () => c.ak ?? HW.ak, getSk: () => c.sk ?? HW.sk },
    );
    const { host: _host, ...rest } = signed;
    headers = rest;
  }
  if (text !== undefined && c.tamper) text = c.tamper(text);
  return fetch(`${baseUrl}${path}${qs}`, { method, headers, ...(text !== undefined ? { body: text } : {}) });
}
