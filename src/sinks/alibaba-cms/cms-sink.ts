import type { Event } from '../../model/event.ts';
import { type AlibabaCredentialProvider, alibabaCredentialProvider } from '../alibaba/credential-provider.ts';
import type { AlibabaCredentials } from '../alibaba/credentials.ts';
import { signAcs3, signRpcV1 } from '../alibaba/signer.ts';
import { entryCache } from '../entry-cache.ts';
import { httpCall, type HttpCallResult } from '../http-call.ts';
import { sendIsolating } from '../isolate.ts';
import type { SinkFactoryDeps } from '../sink-type.ts';
import { SigningClock } from '../signing-clock.ts';
import {
  allOutcomes,
  type EntryOutcome,
  type EntryProblem,
  type ProbeResult,
  type SendResult,
  type Sink,
  type SinkLimits,
} from '../sink.ts';
import type { AlibabaCmsSinkConfig } from './config.ts';
import { CMS_COMMON_PARAMS_ALLOWANCE, CMS_DEFAULT_MAX_EVENTS, CMS_MAX_REQUEST_BYTES } from './limits.ts';
import { classifyCmsAnswer } from './outcome-classifier.ts';
import { probeCms } from './probe.ts';
import { type BuiltEventInfo, buildEventInfo, formBody } from './request-builder.ts';
import { CMS_ACTION, CMS_FORM_TYPE, CMS_VERSION, type CmsEventInfo, eventInfoParams } from './wire.ts';

/** Alibaba CloudMonitor custom events: RPC `PutCustomEvent`, POST with form parameters. */
export class CmsSink implements Sink {
  readonly name: string;
  readonly type = 'alibaba_cms';
  readonly limits: SinkLimits;
  private readonly url: string;
  private readonly credentials: AlibabaCredentialProvider;
  private readonly signature: 'v1' | 'acs3';
  /** The provider's time as learnt from a timestamp-expired answer: every request is signed with it. */
  readonly clock = new SigningClock();
  private readonly built: (event: Event) => BuiltEventInfo;

  constructor(name: string, cfg: AlibabaCmsSinkConfig, deps: SinkFactoryDeps) {
    this.name = name;
    const base = deps.emulator?.url ?? cfg.endpoint ?? `https://metrics.${cfg.region}.aliyuncs.com`;
    this.url = base.endsWith('/') ? base : `${base}/`;
    this.credentials = alibabaCredentialProvider(cfg, { emulator: deps.emulator?.credentials.alibaba, logger: deps.logger });
    this.signature = cfg.signature;
    const maxBytes = CMS_MAX_REQUEST_BYTES - CMS_COMMON_PARAMS_ALLOWANCE;
    this.limits = { maxEntries: cfg.batch.max_entries ?? CMS_DEFAULT_MAX_EVENTS, maxBytes };
    this.built = entryCache((event) => buildEventInfo(event, cfg.group_id, maxBytes));
  }

  check(event: Event): EntryProblem | undefined {
    const b = this.built(event);
    return b.ok ? undefined : b.problem;
  }

  entrySize(event: Event): number {
    const b = this.built(event);
    return b.ok ? b.size : 0;
  }

  /**
   * One request for the batch; a request refused for its content is split until the refused
   * event is alone (sendIsolating), so its neighbours are delivered. An event that fails `check`
   * (the engine never batches one) is settled alone without being sent.
   */
  async send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    const outcomes: EntryOutcome[] = new Array<EntryOutcome>(batch.length);
    const sendable: { at: number; info: CmsEventInfo }[] = [];
    batch.forEach((event, at) => {
      const b = this.built(event);
      if (b.ok) sendable.push({ at, info: b.info });
      else outcomes[at] = { kind: 'permanent', code: b.problem.code, message: b.problem.message };
    });
    if (sendable.length === 0) return { outcomes, throttled: false };
    const r = await sendIsolating(
      sendable.map((s) => s.info),
      (part) => this.put(part, signal),
      signal,
    );
    for (const [i, s] of sendable.entries()) {
      outcomes[s.at] = r.outcomes[i] ?? { kind: 'retryable', code: 'MissingEntryResult', message: `no outcome for entry ${i}` };
    }
    return { outcomes, throttled: r.throttled };
  }

  private async put(infos: readonly CmsEventInfo[], signal: AbortSignal): Promise<SendResult> {
    const r = await this.call(CMS_ACTION, eventInfoParams(infos), infos.length, signal);
    return r.ok ? classifyCmsAnswer(r.reply, infos.length, this.clock) : r.failure;
  }

  /**
   * Signed fresh per attempt: a new nonce, a timestamp from the signing clock, the provider's
   * current credentials (cached; temporary ones are refreshed ahead of expiry). No credentials:
   * the whole request is retryable (`alibaba.credentials`).
   */
  private async call(action: string, params: Record<string, string>, count: number, signal: AbortSignal): Promise<HttpCallResult> {
    let creds: AlibabaCredentials;
    try {
      creds = await this.credentials.get();
    } catch (err) {
      const message = `no ${this.credentials.source} credentials: ${err instanceof Error ? err.message : String(err)}`;
      return {
        ok: false,
        failure: { outcomes: allOutcomes(count, { kind: 'retryable', code: 'alibaba.credentials', message }), throttled: false },
      };
    }
    const date = new Date(this.clock.now());
    if (this.signature === 'v1') {
      const signed = signRpcV1({ method: 'POST', params: { Action: action, Version: CMS_VERSION, ...params }, date, ...creds });
      return httpCall(this.url, { method: 'POST', headers: { 'content-type': CMS_FORM_TYPE }, body: formBody(signed) }, count, signal);
    }
    const body = formBody(params);
    const headers = signAcs3({
      method: 'POST',
      url: this.url,
      headers: { 'content-type': CMS_FORM_TYPE },
      body,
      action,
      version: CMS_VERSION,
      date,
      ...creds,
    });
    delete headers.host;
    return httpCall(this.url, { method: 'POST', headers, body }, count, signal);
  }

  probe(signal: AbortSignal): Promise<ProbeResult> {
    return probeCms((action, params) => this.call(action, params, 1, signal), this.clock);
  }

  async close(): Promise<void> {}
}
