import { createHash } from 'node:crypto';
import type { Event } from '../../model/event.ts';
import { nowUnixNano } from '../../model/log-record.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { SourceContext } from '../source.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeRequest, type Encoding, type PartialSuccess } from './codec.ts';
import { RequestMapper } from './records.ts';

export type Transport = 'http' | 'grpc';

/** What became of one export request, independent of the transport that carried it. */
export type ExportOutcome =
  | { kind: 'accepted'; partial?: PartialSuccess }
  | { kind: 'invalid'; message: string }
  /** More log records than max_records (413 / RESOURCE_EXHAUSTED without RetryInfo: not retried as is). */
  | { kind: 'too_large'; message: string }
  | { kind: 'full'; retryAfterMs: number }
  | { kind: 'unavailable'; message: string; retryAfterMs: number };

/** Request outcomes as counted in `log2events_otlp_requests_total{outcome}`. */
export type RequestOutcomeLabel =
  | 'accepted'
  | 'partial'
  | 'invalid'
  | 'full'
  | 'unavailable'
  | 'unauthenticated'
  | 'too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'not_found'
  /** Answered 500/INTERNAL: a bug or a store that failed, never the request's content. */
  | 'internal'
  /** Answered 429/RESOURCE_EXHAUSTED because the receivers' body budget was spent. */
  | 'busy'
  /** The body did not arrive within request_timeout. */
  | 'timeout';

const REQUESTS = 'log2events_otlp_requests_total';
const REQUESTS_HELP = 'OTLP export requests by transport and outcome.';
const ACCEPTED = 'log2events_otlp_records_accepted_total';
const ACCEPTED_HELP = 'OTLP log records decoded and handed to the rules.';
const REJECTED = 'log2events_otlp_records_rejected_total';
const REJECTED_HELP = 'OTLP log records rejected as unusable (reported to the client as partial_success).';
const STOPPING_RETRY_MS = 5_000;
/**
 * Records mapped and evaluated between two turns of the event loop: a few milliseconds of work,
 * so that a request of many thousands of records does not hold up /healthz or other clients.
 */
const SLICE_RECORDS = 1_000;

/**
 * Decodes an export request, maps its records through the rules and commits the events to the
 * spool; the caller replies success only for `accepted`, which means the events are durable.
 */
export class ExportHandler {
  private readonly source: string;
  private readonly ctx: SourceContext;
  private readonly metrics: Metrics;
  /** While the spool reported full, requests are turned away before the rules run, so that
   * a refused attempt does not consume rule state (throttle windows) its retry will need. */
  private fullUntil = 0;
  private fullRetryAfterMs = 0;
  private waitingForRoom = false;
  private stopping = false;
  private readonly maxRecords: number;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(source: string, ctx: SourceContext, metrics: Metrics, maxRecords = Infinity) {
    this.source = source;
    this.ctx = ctx;
    this.metrics = metrics;
    this.maxRecords = maxRecords;
  }

  /** Resolves once no request is being processed (they commit between turns of the event loop). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** From now on every request is answered `unavailable` (retryable) instead of processed. */
  stopAccepting(): void {
    this.stopping = true;
  }

  /** Throws only on a bug or a failing store (the caller answers 500/INTERNAL); counted either way. */
  async handle(body: Uint8Array, encoding: Encoding, transport: Transport): Promise<ExportOutcome> {
    this.inFlight++;
    try {
      const outcome = await this.process(body, encoding, transport);
      this.countRequest(transport, outcome.kind === 'accepted' && outcome.partial ? 'partial' : outcome.kind);
      return outcome;
    } catch (err) {
      this.countRequest(transport, 'internal');
      throw err;
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  countRequest(transport: Transport, outcome: RequestOutcomeLabel): void {
    this.metrics.inc(REQUESTS, REQUESTS_HELP, { source: this.source, transport, outcome });
  }

  private async process(body: Uint8Array, encoding: Encoding, transport: Transport): Promise<ExportOutcome> {
    if (this.stopping || this.ctx.signal.aborted) {
      return { kind: 'unavailable', message: 'receiver is shutting down', retryAfterMs: STOPPING_RETRY_MS };
    }
    if (Date.now() < this.fullUntil) return { kind: 'full', retryAfterMs: this.fullRetryAfterMs };

    const decoded = decodeRequest(body, encoding, this.maxRecords);
    if (!decoded.ok)
      return 'tooManyRecords' in decoded ? { kind: 'too_large', message: decoded.message } : { kind: 'invalid', message: decoded.message };

    const mapper = new RequestMapper(decoded.request, {
      originPrefix: `otlp:${createHash('sha1').update(body).digest('hex')}`,
      nowUnixNano: nowUnixNano(),
    });
    const events: Event[] = [];
    const mapped = mapper.out;
    let failed = 0;
    // No rule reads this source: the records are acknowledged without evaluating anything.
    const literals = this.ctx.processor.literalsFor(this.source);
    const evaluate = literals === null || literals.length > 0;
    let accepted = 0;
    for (let more = true, first = true; more; first = false) {
      if (!first) await nextTurn();
      more = mapper.step(SLICE_RECORDS);
      const records = mapped.records;
      accepted += records.length;
      if (evaluate) {
        for (const record of records) {
          try {
            for (const event of this.ctx.processor.process(record, this.source)) events.push(event);
          } catch (err) {
            failed++;
            if (mapped.errors.length < 3) mapped.errors.push(`${record.origin}: rule evaluation failed: ${(err as Error).message}`);
            this.ctx.logger.warn('rule evaluation failed on an OTLP record', { source: this.source, origin: record.origin, error: err });
          }
        }
      }
      // The slice's records are done with: only their events are kept until the commit.
      mapped.records = [];
    }
    if (events.length > 0) {
      const committed = this.ctx.intake.commit(events);
      if (!committed.ok) {
        if (committed.reason === 'closed') {
          return { kind: 'unavailable', message: 'spool is closed', retryAfterMs: STOPPING_RETRY_MS };
        }
        this.markFull(committed.retryAfterMs);
        return { kind: 'full', retryAfterMs: committed.retryAfterMs };
      }
    }

    const rejected = mapped.rejected + failed;
    const labels = { source: this.source, transport };
    this.metrics.inc(ACCEPTED, ACCEPTED_HELP, labels, accepted - failed);
    // Notes without rejections (a container of the wrong shape) are a warning, as OTLP allows.
    if (rejected === 0 && mapped.errors.length === 0) return { kind: 'accepted' };
    if (rejected > 0) this.metrics.inc(REJECTED, REJECTED_HELP, labels, rejected);
    return { kind: 'accepted', partial: { rejected, errorMessage: mapped.errors.join('; ') } };
  }

  private markFull(retryAfterMs: number): void {
    this.fullRetryAfterMs = retryAfterMs;
    this.fullUntil = Date.now() + retryAfterMs;
    // Room may come back sooner than the hint; stop refusing as soon as it does. One waiter
    // at a time, however long the spool stays full.
    if (this.waitingForRoom) return;
    this.waitingForRoom = true;
    this.ctx.intake.waitForRoom(this.ctx.signal).then(
      () => {
        this.waitingForRoom = false;
        this.fullUntil = 0;
      },
      () => {
        this.waitingForRoom = false;
      },
    );
  }
}
