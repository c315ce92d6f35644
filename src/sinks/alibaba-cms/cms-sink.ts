import type { Event } from '../../model/event.ts';
import { type AlibabaCredentialProvider, alibabaCredentialProvider } from '../alibaba/credential-provider.ts';
import type { AlibabaCredentials } from '../alibaba/credentials.ts';
import { percentEncode, signAcs3, signRpcV1 } from '../alibaba/signer.ts';
import { entryCache } from '../entry-cache.ts';
import { httpCall, type HttpCallResult, sendGrouped } from '../http-call.ts';
import type { SinkFactoryDeps } from '../registry.ts';
import { allOutcomes, type SendResult, type Sink, type SinkLimits } from '../sink.ts';
import { type AlibabaCmsSinkConfig, CMS_DEFAULT_MAX_ENTRIES } from './index.ts';
import { classifyCmsResponse } from './outcome-classifier.ts';
import { type CmsEventInfo, eventInfoParams, eventInfoProblem, eventInfoSize, toEventInfo } from './request-builder.ts';

export const CMS_ACTION = 'PutCustomEvent';
export const CMS_VERSION = '2019-01-01';
/** The user guide's 500 KB per request, less room for the common and signature parameters. */
const MAX_REQUEST_BYTES = 500 * 1000 - 1024;
const FORM = 'application/x-www-form-urlencoded';

/** Alibaba CloudMonitor custom events: RPC `PutCustomEvent`, POST with form parameters. */
export class CmsSink implements Sink {
  readonly name: string;
  readonly type = 'alibaba_cms';
  readonly limits: SinkLimits;
  private readonly url: string;
  private readonly credentials: AlibabaCredentialProvider;
  private readonly signature: 'v1' | 'acs3';
  private readonly info: (event: Event) => CmsEventInfo;

  constructor(name: string, cfg: AlibabaCmsSinkConfig, deps: SinkFactoryDeps) {
    this.name = name;
    const base = deps.emulator?.url ?? cfg.endpoint ?? `https://metrics.${cfg.region}.aliyuncs.com`;
    this.url = base.endsWith('/') ? base : `${base}/`;
    this.credentials = alibabaCredentialProvider(cfg, { emulator: deps.emulator?.credentials.alibaba, logger: deps.logger });
    this.signature = cfg.signature;
    this.info = entryCache((event) => toEventInfo(event, cfg.group_id));
    this.limits = { maxEntries: cfg.batch.max_entries ?? CMS_DEFAULT_MAX_ENTRIES, maxBytes: MAX_REQUEST_BYTES };
  }

  entrySize(event: Event): number {
    return eventInfoSize(this.info(event));
  }

  send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    return sendGrouped(
      batch,
      (event) => {
        const problem = eventInfoProblem(this.info(event));
        return problem ? { kind: 'permanent', code: 'cms.invalid_event', message: problem } : 'send';
      },
      async (_key, events) => {
        const params = eventInfoParams(events.map((e) => this.info(e)));
        const r = await this.call(params, events.length, signal);
        return r.ok ? classifyCmsResponse(r.reply, events.length) : r.failure;
      },
    );
  }

  /**
   * Signed fresh per attempt: a new nonce and timestamp every time, with the provider's current
   * credentials (cached; temporary ones are refreshed ahead of expiry). No credentials: the whole
   * request is retryable (`alibaba.credentials`).
   */
  private async call(params: Record<string, string>, count: number, signal: AbortSignal): Promise<HttpCallResult> {
    let creds: AlibabaCredentials;
    try {
      creds = await this.credentials.get();
    } catch (err) {
      const message = `no ${this.credentials.source} credentials: ${err instanceof Error ? err.message : String(err)}`;
      return { ok: false, failure: { outcomes: allOutcomes(count, { kind: 'retryable', code: 'alibaba.credentials', message }), throttled: false } };
    }
    if (this.signature === 'v1') {
      const signed = signRpcV1({ method: 'POST', params: { Action: CMS_ACTION, Version: CMS_VERSION, ...params }, ...creds });
      return httpCall(this.url, { method: 'POST', headers: { 'content-type': FORM }, body: formBody(signed) }, count, signal);
    }
    const body = formBody(params);
    const headers = signAcs3({ method: 'POST', url: this.url, headers: { 'content-type': FORM }, body, action: CMS_ACTION, version: CMS_VERSION, ...creds });
    delete headers.host;
    return httpCall(this.url, { method: 'POST', headers, body }, count, signal);
  }

  async close(): Promise<void> {}
}

function formBody(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}
