import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { parseRetryAfter } from '../retry-after.ts';
import type { Event } from '../../model/event.ts';
import { entryCache } from '../entry-cache.ts';
import { MAX_ANSWER_BYTES } from '../http-call.ts';
import { sendIsolating } from '../isolate.ts';
import type { SinkFactoryDeps } from '../sink-type.ts';
import type { EntryOutcome, EntryProblem, ProbeResult, SendResult, Sink, SinkLimits } from '../sink.ts';
import { CappedHttpHandler } from './capped-http-handler.ts';
import type { AwsEventBridgeSinkConfig } from './config.ts';
import { CLOCK_CORRECTION_MS, defaultMaxRequestBytes, MAX_ENTRIES, partitionOf } from './limits.ts';
import { classifyError, classifyResponse } from './outcome-classifier.ts';
import { probeEventBridge } from './probe.ts';
import { type BuiltEntry, buildEntry } from './request-builder.ts';

/**
 * Builds the sink once its region is known: the request limit depends on the partition, and the
 * region may come from the SDK's own sources (environment, shared config file).
 */
export async function createEventBridgeSink(name: string, cfg: AwsEventBridgeSinkConfig, deps: SinkFactoryDeps): Promise<EventBridgeSink> {
  const client = eventBridgeClient(cfg, deps);
  const region = await client.config.region().catch(() => undefined);
  const maxBytes = cfg.max_request_bytes ?? defaultMaxRequestBytes(region);
  deps.logger.info('EventBridge request limit', {
    sink: name,
    region: region ?? '(none)',
    max_request_bytes: maxBytes,
    from: cfg.max_request_bytes !== undefined ? 'max_request_bytes' : `default of the ${region ? partitionOf(region) : 'aws'} partition`,
  });
  return new EventBridgeSink(name, cfg, client, maxBytes);
}

function eventBridgeClient(cfg: AwsEventBridgeSinkConfig, deps: SinkFactoryDeps): EventBridgeClient {
  const emulator = deps.emulator;
  const staticCreds = cfg.credentials
    ? {
        accessKeyId: cfg.credentials.access_key_id,
        secretAccessKey: cfg.credentials.secret_access_key,
        ...(cfg.credentials.session_token ? { sessionToken: cfg.credentials.session_token } : {}),
      }
    : emulator
      ? { accessKeyId: emulator.credentials.aws.accessKeyId, secretAccessKey: emulator.credentials.aws.secretAccessKey }
      : undefined;
  const region = cfg.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? emulator?.credentials.aws.region;
  return new EventBridgeClient({
    // The delivery engine retries, and only the entries that failed.
    maxAttempts: 1,
    ...(region ? { region } : {}),
    ...(emulator ? { endpoint: emulator.url } : cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    credentials: staticCreds ?? fromNodeProviderChain(),
    requestHandler: new CappedHttpHandler(MAX_ANSWER_BYTES),
  });
}

/**
 * AWS EventBridge / CloudWatch Events through the official client. Each event is built and
 * checked once (check, entrySize and send share the entry); a request refused as a whole for its
 * content is split until the refused entry is alone. Clock skew: the SDK learns the server's
 * time from every answer's Date header (`systemClockOffset`) and signs the next request with it.
 */
export class EventBridgeSink implements Sink {
  readonly type = 'aws_eventbridge';
  readonly name: string;
  readonly limits: SinkLimits;
  private readonly client: EventBridgeClient;
  private readonly built: (event: Event) => BuiltEntry;
  private readonly bus: string | undefined;

  constructor(name: string, cfg: AwsEventBridgeSinkConfig, client: EventBridgeClient, maxBytes: number) {
    this.name = name;
    this.client = client;
    this.bus = cfg.event_bus;
    this.limits = { maxEntries: MAX_ENTRIES, maxBytes };
    this.built = entryCache((event) => buildEntry(event, { defaultBus: cfg.event_bus, maxRequestBytes: maxBytes }));
  }

  /** The clock offset the SDK signs with (ms added to the local clock), learnt from answers. */
  get clockOffsetMs(): number {
    return this.client.config.systemClockOffset;
  }

  check(event: Event): EntryProblem | undefined {
    const b = this.built(event);
    return b.ok ? undefined : b.problem;
  }

  entrySize(event: Event): number {
    const b = this.built(event);
    if (!b.ok) throw new Error(`${b.problem.code}: ${b.problem.message}`);
    return b.size;
  }

  async send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    // check() ran before batching; an entry that fails here still gets its own outcome.
    const outcomes: (EntryOutcome | undefined)[] = batch.map((e) => {
      const b = this.built(e);
      return b.ok ? undefined : { kind: 'permanent', code: b.problem.code, message: b.problem.message };
    });
    const sendable = batch.flatMap((e, i) => {
      const b = this.built(e);
      return b.ok ? [{ i, entry: b.entry }] : [];
    });
    if (sendable.length === 0) return { outcomes: outcomes.filter((o) => o !== undefined), throttled: false };
    const result = await sendIsolating(
      sendable,
      (items) =>
        this.put(
          items.map((s) => s.entry),
          signal,
        ),
      signal,
    );
    for (const [k, s] of sendable.entries()) outcomes[s.i] = result.outcomes[k];
    return {
      outcomes: outcomes.map((o) => o ?? { kind: 'retryable', code: 'internal', message: 'no outcome' }),
      throttled: result.throttled,
    };
  }

  private async put(entries: readonly PutEventsRequestEntry[], signal: AbortSignal): Promise<SendResult> {
    const offsetBefore = this.clockOffsetMs;
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: [...entries] }), { abortSignal: signal });
      return classifyResponse(out, entries.length);
    } catch (err) {
      // Signed with a clock the answer has since corrected by more than a minute.
      const clockCorrected = Math.abs(this.clockOffsetMs - offsetBefore) >= CLOCK_CORRECTION_MS;
      return classifyError(err, entries.length, parseRetryAfter, clockCorrected);
    }
  }

  probe(signal: AbortSignal): Promise<ProbeResult> {
    return probeEventBridge(this.client, this.bus, signal);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
