/**
 * Requests signed by the vendors' own code (Huawei's AKSKSigner, Alibaba's openapi-util), sent
 * with fetch: the oracles that prove the emulator's signature checks right. Plus the per-file
 * emulator harness the provider tests share.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startEmulator, type EmulatorConfigInput, type RunningEmulator } from '../../src/emulator/index.ts';

const require = createRequire(import.meta.url);

interface HuaweiSignRequest {
  endpoint: string;
  method: string;
  queryParams?: Record<string, string>;
  headers: Record<string, string>;
  data?: unknown;
}
interface AkskSigner {
  sign(request: HuaweiSignRequest, credential: { getAk(): string; getSk(): string }): Record<string, string>;
}
export const AKSKSigner = (require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as { AKSKSigner: AkskSigner }).AKSKSigner;

interface OpenApiUtilClient {
  getRPCSignature(params: Record<string, string>, method: string, secret: string): string;
  getTimestamp(): string;
  getAuthorization(
    request: { pathname: string; method: string; query: Record<string, string>; headers: Record<string, string> },
    algorithm: string,
    payloadHash: string,
    accessKeyId: string,
    secret: string,
  ): string;
}
export const OpenApiUtil = (require('@alicloud/openapi-util') as { default: OpenApiUtilClient }).default;

export interface HuaweiCall {
  ak: string;
  sk: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Changes the body after signing (to prove the signature covers it). */
  tamper?: (bodyText: string) => string;
}

/** Signs with Huawei's AKSKSigner (the signer of @huaweicloud/huaweicloud-sdk-core) and sends. */
export async function huaweiSdkFetch(baseUrl: string, method: string, path: string, call: HuaweiCall): Promise<Response> {
  const signed = AKSKSigner.sign(
    {
      endpoint: `${baseUrl}${path}`,
      method,
      headers: { 'content-type': 'application/json' },
      ...(call.query ? { queryParams: call.query } : {}),
      ...(call.body !== undefined ? { data: call.body } : {}),
    },
    { getAk: () => call.ak, getSk: () => call.sk },
  );
  const { host: _host, ...headers } = signed;
  // AKSKSigner hashes JSON.stringify(data): send exactly that text.
  let text = call.body === undefined ? undefined : JSON.stringify(call.body);
  if (text !== undefined && call.tamper) text = call.tamper(text);
  const qs = call.query ? `?${new URLSearchParams(call.query)}` : '';
  return fetch(`${baseUrl}${path}${qs}`, { method, headers, ...(text !== undefined ? { body: text } : {}) });
}

export interface AlibabaCall {
  accessKeyId: string;
  accessKeySecret: string;
  /** API parameters (EventInfo.N.*); Action/Version default to PutCustomEvent / 2019-01-01. */
  params: Record<string, string>;
  action?: string;
  nonce?: string;
  timestamp?: string;
  tamper?: (formBody: string) => string;
}

/**
 * RPC v1 the way Alibaba's SDK sends it: common parameters and Signature in the query, API
 * parameters in a form body, signature from openapi-util's getRPCSignature over both.
 */
export async function alibabaRpcFetch(baseUrl: string, call: AlibabaCall): Promise<Response> {
  const query: Record<string, string> = {
    Action: call.action ?? 'PutCustomEvent',
    Format: 'json',
    Version: '2019-01-01',
    Timestamp: call.timestamp ?? OpenApiUtil.getTimestamp(),
    SignatureNonce: call.nonce ?? randomUUID(),
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    AccessKeyId: call.accessKeyId,
  };
  query.Signature = OpenApiUtil.getRPCSignature({ ...query, ...call.params }, 'POST', call.accessKeySecret);
  let form = new URLSearchParams(call.params).toString();
  if (call.tamper) form = call.tamper(form);
  return fetch(`${baseUrl}/?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
}

/** ACS3-HMAC-SHA256 with the Authorization computed by openapi-util's getAuthorization. */
export async function alibabaAcs3Fetch(baseUrl: string, call: AlibabaCall): Promise<Response> {
  const form = new URLSearchParams(call.params).toString();
  const host = new URL(baseUrl).host;
  const headers: Record<string, string> = {
    host,
    'content-type': 'application/x-www-form-urlencoded',
    'x-acs-action': call.action ?? 'PutCustomEvent',
    'x-acs-version': '2019-01-01',
    'x-acs-date': call.timestamp ?? OpenApiUtil.getTimestamp(),
    'x-acs-signature-nonce': call.nonce ?? randomUUID(),
    'x-acs-content-sha256': createHash('sha256').update(form).digest('hex'),
  };
  headers.authorization = OpenApiUtil.getAuthorization(
    { pathname: '/', method: 'POST', query: {}, headers },
    'ACS3-HMAC-SHA256',
    headers['x-acs-content-sha256']!,
    call.accessKeyId,
    call.accessKeySecret,
  );
  const { host: _host, ...sent } = headers;
  return fetch(`${baseUrl}/`, { method: 'POST', headers: sent, body: call.tamper ? call.tamper(form) : form });
}

/** `EventInfo.N.*` parameters for n events. */
export function eventInfo(n: number, overrides: (i: number) => Record<string, string> = () => ({})): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i <= n; i++) {
    Object.assign(out, { [`EventInfo.${i}.EventName`]: 'PaymentFailed', [`EventInfo.${i}.Content`]: `payment failed for order ${i}` });
    for (const [k, v] of Object.entries(overrides(i))) out[`EventInfo.${i}.${k}`] = v;
  }
  return out;
}

/** A response body as loosely-typed JSON: tests assert its shape field by field. */
export const readJson = (res: Response): Promise<any> => res.json();

/**
 * One emulator per test file on an ephemeral port, reset before each test, closed after all.
 * `bind` receives the running instance.
 */
export function useEmulator(bind: (emu: RunningEmulator) => void, config?: EmulatorConfigInput): void {
  let emu: RunningEmulator | undefined;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, ...(config ? { config } : {}) });
    bind(emu);
  });
  afterAll(async () => {
    await emu?.close();
  });
  beforeEach(() => emu?.reset());
}
