import { z } from 'zod';
import { byteSize } from '../../core/byte-size.ts';
import { sinkCommonShape } from '../common-options.ts';
import type { Event } from '../../model/event.ts';
import { eventJson } from '../../model/event-json.ts';
import { eventJsonLineBytes } from '../event-json.ts';
import type { SendResult, Sink, SinkLimits } from '../sink.ts';
import { httpCall } from '../http-call.ts';
import { classifyResponse } from './outcome-classifier.ts';

export function httpSinkSchema() {
  return z.strictObject({
    type: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
    /** Most events per request. */
    max_entries: z.number().int().min(1).default(100),
    /** Most bytes per request body. */
    max_bytes: byteSize.default(1024 * 1024),
    ...sinkCommonShape(),
  });
}
export type HttpSinkConfig = z.output<ReturnType<typeof httpSinkSchema>>;

const ENVELOPE_OPEN = '{"events":[';
const ENVELOPE_CLOSE = ']}';
const ENVELOPE_BYTES = ENVELOPE_OPEN.length + ENVELOPE_CLOSE.length;

/**
 * Generic webhook: POSTs `{"events":[Event,...]}` as JSON. The request builder is the envelope
 * below; the response is classified in outcome-classifier.ts.
 */
export class HttpSink implements Sink {
  readonly type = 'http';
  readonly name: string;
  readonly limits: SinkLimits;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(name: string, config: Pick<HttpSinkConfig, 'url' | 'headers' | 'max_entries' | 'max_bytes'>) {
    this.name = name;
    this.url = config.url;
    this.headers = { ...config.headers, 'content-type': 'application/json' };
    this.limits = { maxEntries: config.max_entries, maxBytes: Math.max(1, config.max_bytes - ENVELOPE_BYTES) };
  }

  /** Serialised bytes plus the separating comma (the size of the JSON line: a newline is one byte too). */
  entrySize(event: Event): number {
    return eventJsonLineBytes(event);
  }

  async send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    const body = ENVELOPE_OPEN + batch.map(eventJson).join(',') + ENVELOPE_CLOSE;
    const r = await httpCall(this.url, { method: 'POST', headers: this.headers, body }, batch.length, signal);
    return r.ok ? classifyResponse(r.reply.status, r.reply.headers, r.reply.body, batch.length) : r.failure;
  }

  async close(): Promise<void> {}
}
