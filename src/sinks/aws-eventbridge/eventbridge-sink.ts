import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { Event } from '../../model/event.ts';
import { parseRetryAfter } from '../../delivery/retry-policy.ts';
import type { SinkFactoryDeps } from '../registry.ts';
import type { SendResult, Sink, SinkLimits } from '../sink.ts';
import type { AwsEventBridgeSinkConfig } from './index.ts';
import { classifyError, classifyResponse } from './outcome-classifier.ts';
import { putEventsEntrySize, toPutEventsEntry } from './request-builder.ts';

/**
 * AWS EventBridge / CloudWatch Events through the official client. The SDK's own retries are
 * off (`maxAttempts: 1`): the delivery engine retries, and only the entries that failed.
 */
export class EventBridgeSink implements Sink {
  readonly name: string;
  readonly type = 'aws_eventbridge';
  readonly limits: SinkLimits;
  private readonly client: EventBridgeClient;
  private readonly bus: string | undefined;
  // The engine asks for sizes before it sends: build each entry once.
  private readonly entries = new WeakMap<Event, PutEventsRequestEntry>();

  constructor(name: string, cfg: AwsEventBridgeSinkConfig, deps: SinkFactoryDeps) {
    this.name = name;
    this.bus = cfg.event_bus;
    this.limits = { maxEntries: 10, maxBytes: cfg.max_request_bytes };
    const emulator = deps.emulator;
    const staticCreds = cfg.credentials
      ? { accessKeyId: cfg.credentials.access_key_id, secretAccessKey: cfg.credentials.secret_access_key, ...(cfg.credentials.session_token ? { sessionToken: cfg.credentials.session_token } : {}) }
      : emulator
        ? { accessKeyId: emulator.credentials.aws.accessKeyId, secretAccessKey: emulator.credentials.aws.secretAccessKey }
        : undefined;
    const region = cfg.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? emulator?.credentials.aws.region;
    this.client = new EventBridgeClient({
      maxAttempts: 1,
      ...(region ? { region } : {}),
      ...(emulator ? { endpoint: emulator.url } : cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      credentials: staticCreds ?? fromNodeProviderChain(),
    });
  }

  private entry(event: Event): PutEventsRequestEntry {
    let e = this.entries.get(event);
    if (!e) {
      e = toPutEventsEntry(event, this.bus);
      this.entries.set(event, e);
    }
    return e;
  }

  entrySize(event: Event): number {
    return putEventsEntrySize(this.entry(event));
  }

  async send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: batch.map((e) => this.entry(e)) }), { abortSignal: signal });
      return classifyResponse(out, batch.length);
    } catch (err) {
      const headers = (err as { $response?: { headers?: Record<string, string> } }).$response?.headers;
      return classifyError(err, batch.length, parseRetryAfter(headers?.['retry-after']));
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
