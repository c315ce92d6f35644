import { createHash } from 'node:crypto';
import type { Event } from '../../model/event.ts';
import { nowUnixNano } from '../../model/log-record.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { SourceContext } from '../source.ts';
import { decodeRequest, type Encoding, type PartialSuccess } from './codec.ts';
import { MalformedRequestError, mapExportRequest } from './records.ts';

export type Transport = 'http' | 'grpc';

/** What became of one export request, independent of the transport that carried it. */
export type ExportOutcome =
  | { kind: 'accepted'; partial?: PartialSuccess }
  | { kind: 'invalid'; message: string }
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
  | 'not_found';

const REQUESTS = 'log2events_otlp_requests_total';
const REQUESTS_HELP = 'OTLP export requests by transport and outcome.';
const ACCEPTED = 'log2events_otlp_records_accepted_total';
const ACCEPTED_HELP = 'OTLP log records decoded and handed to the rules.';
const REJECTED = 'log2events_otlp_records_rejected_total';
const REJECTED_HELP = 'OTLP log records rejected as unusable (reported to the client as partial_success).';
const STOPPING_RETRY_MS = 5_000;

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

  constructor(source: string, ctx: SourceContext, metrics: Metrics) {
    this.source = source;
    this.ctx = ctx;
    this.metrics = metrics;
  }

  /** From now on every request is answered `unavailable` (retryable) instead of processed. */
  stopAccepting(): void {
    this.stopping = true;
  }

  handle(body: Uint8Array, encoding: Encoding, transport: Transport): ExportOutcome {
    const outcome = this.process(body, encoding, transport);
    this.countRequest(transport, outcome.kind === 'accepted' && outcome.partial ? 'partial' : outcome.kind);
    return outcome;
  }

  countRequest(transport: Transport, outcome: RequestOutcomeLabel): void {
    this.metrics.inc(REQUESTS, REQUESTS_HELP, { source: this.source, transport, outcome });
  }

  private process(body: Uint8Array, encoding: Encoding, transport: Transport): ExportOutcome {
    if (this.stopping || this.ctx.signal.aborted) {
      return { kind: 'unavailable', message: 'receiver is shutting down', retryAfterMs: STOPPING_RETRY_MS };
    }
    if (Date.now() < this.fullUntil) return { kind: 'full', retryAfterMs: this.fullRetryAfterMs };

    const decoded = decodeRequest(body, encoding);
    if (!decoded.ok) return { kind: 'invalid', message: decoded.message };

    let mapped;
    try {
      mapped = mapExportRequest(decoded.request, {
        originPrefix: `otlp:${createHash('sha1').update(body).digest('hex')}`,
        nowUnixNano: nowUnixNano(),
      });
    } catch (err) {
      if (err instanceof MalformedRequestError) return { kind: 'invalid', message: `invalid ExportLogsServiceRequest: ${err.message}` };
      throw err;
    }

    const events: Event[] = [];
    let rejected = mapped.rejected;
    const errors = mapped.errors;
    // No rule reads this source: the records are acknowledged without evaluating anything.
    const literals = this.ctx.processor.literalsFor(this.source);
    if (literals === null || literals.length > 0) {
      for (const record of mapped.records) {
        try {
          for (const event of this.ctx.processor.process(record, this.source)) events.push(event);
        } catch (err) {
          rejected++;
          if (errors.length < 3) errors.push(`${record.origin}: rule evaluation failed: ${(err as Error).message}`);
          this.ctx.logger.warn('rule evaluation failed on an OTLP record', { source: this.source, origin: record.origin, error: err });
        }
      }
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

    const accepted = mapped.records.length - (rejected - mapped.rejected);
    const labels = { source: this.source, transport };
    this.metrics.inc(ACCEPTED, ACCEPTED_HELP, labels, accepted);
    if (rejected === 0) return { kind: 'accepted' };
    this.metrics.inc(REJECTED, REJECTED_HELP, labels, rejected);
    return { kind: 'accepted', partial: { rejected, errorMessage: errors.join('; ') } };
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
