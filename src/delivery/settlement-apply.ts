import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { REDIRECT_NOT_FOLLOWED } from '../sinks/http-call.ts';
import { UNRECOGNISED_ANSWER } from '../sinks/sink.ts';
import type { DeadLetterMove, RetryUpdate } from '../store/state-store.ts';
import type { AckTracker } from './ack-tracker.ts';
import type { DeliveryObserver, EntryReport } from './delivery-report.ts';
import { type HeldEntry, type LaneEntry, type SpooledEntry, spooled } from './lane-entry.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { SettleQueue } from './settle-queue.ts';
import type { SettlementPlan } from './settlement-plan.ts';

export interface SettlerDeps {
  /** The sink's name: dead letters, metrics and reports carry it. */
  name: string;
  logger: Logger;
  metrics: Metrics;
  /** Writes outcomes to the store (grouped with other lanes' into one transaction). */
  queue: Pick<SettleQueue, 'enqueue'>;
  /** Where held entries' outcomes go (ack, nack). */
  tracker: Pick<AckTracker, 'ack' | 'nack'>;
  /** The delay before another attempt of an entry whose outcome could not be written. */
  policy: Pick<RetryPolicy, 'delay'>;
  /** Told the outcome of every request (sink health, tap). */
  observer?: DeliveryObserver | undefined;
  /** Sends `entry` again at `at` (the lane ignores it once it no longer runs). */
  retryAt: (at: number, entry: LaneEntry) => void;
  /** `entry` reached its final outcome: entries of its alarm that waited on it may go. */
  release: (entry: LaneEntry) => void;
  /** The entry of spool seq `seq` left the spool: the window may read further. */
  settled: (seq: number) => void;
}

/** The request a plan answers. */
export interface Answered {
  throttled: boolean;
  startedAt: number;
  now: number;
}

/**
 * Carries out a lane's settlement plans (settlement-plan.ts): held entries ack or nack their
 * tickets, the fates of spooled ones go to the settle queue, and only once the store has them
 * do entries leave memory (alarm order released, window advanced) or wait in the retry
 * schedule; a write the store refuses keeps every entry of it for another attempt. Counts,
 * logs and tells the observer what became of each request.
 */
export class Settler {
  private readonly deps: SettlerDeps;
  private readonly labels: { sink: string };

  constructor(deps: SettlerDeps) {
    this.deps = deps;
    this.labels = { sink: deps.name };
  }

  async apply(plan: SettlementPlan<LaneEntry>, request: Answered): Promise<void> {
    const { deps } = this;
    const { now, startedAt } = request;
    // Held entries report to the tracker: a delivered one acks its ticket (its commit's
    // checkpoint waits for it; nothing to remove from the spool), one that did not get through
    // nacks it, which spools its commit: retry state and dead letters live in rows. Held
    // entries whose commit was spooled meanwhile are settled as the spooled entries they are.
    // The spooled entry each planned one is settled as in the store; none for a held entry
    // acked in memory or one the store refused to spool (kept held, retried from memory).
    const rows: (SpooledEntry | undefined)[] = new Array(plan.entries.length);
    let nacked: { i: number; held: HeldEntry }[] | undefined;
    let ackedHeld = 0;
    const planned = plan.entries;
    // Indexed loops: this runs for every entry delivered, and entries() iterators cost here.
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i];
      if (p === undefined) continue;
      const { entry } = p;
      entry.attempts = p.attempts;
      entry.firstAttempt = p.firstAttempt;
      if (entry.kind === 'spooled') {
        rows[i] = entry;
      } else if (p.fate.kind === 'delivered') {
        const row = deps.tracker.ack(entry.ticket);
        if (row) rows[i] = spooled(entry, row);
        else ackedHeld += 1;
      } else {
        (nacked ??= []).push({ i, held: entry });
      }
    }
    if (nacked) {
      const secured = deps.tracker.nack(nacked.map((n) => n.held.ticket));
      for (const [k, { i, held }] of nacked.entries()) {
        const row = secured?.[k];
        if (row) rows[i] = spooled(held, row);
      }
    }

    const delivered: SpooledEntry[] = [];
    const retried: { entry: SpooledEntry; update: RetryUpdate; at: number }[] = [];
    const dead: DeadLetterMove[] = [];
    const deadEntries: SpooledEntry[] = [];
    const reports: EntryReport[] | undefined = deps.observer ? [] : undefined;
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i];
      if (p === undefined) continue;
      const { entry, fate, firstAttempt } = p;
      const s = rows[i];
      if (fate.kind === 'delivered') {
        reports?.push({ event: entry.event, outcome: 'delivered' });
        if (s) delivered.push(s);
        else deps.release(entry); // acked while held
        continue;
      }
      reports?.push({
        event: entry.event,
        outcome: s === undefined || fate.kind === 'retry' ? 'retry' : 'dead_letter',
        code: fate.code,
        message: fate.message,
      });
      if (!s) {
        // Held still: the store refused to spool it.
        deps.retryAt(now + deps.policy.delay(entry.attempts), entry);
      } else if (fate.kind === 'dead') {
        deadEntries.push(s);
        dead.push(this.deadMove(s, fate.code, fate.message, startedAt));
      } else {
        retried.push({
          entry: s,
          at: fate.at,
          update: {
            seq: s.seq,
            attempts: s.attempts,
            firstAttempt,
            lastAttempt: startedAt,
            code: fate.code,
            message: fate.message,
          },
        });
      }
    }

    if (reports)
      deps.observer?.onRequest({
        sink: deps.name,
        entries: reports,
        throttled: request.throttled,
        latencyMs: now - startedAt,
        at: now,
      });
    if (ackedHeld) deps.metrics.inc('log2events_delivered_total', 'Events a sink accepted', this.labels, ackedHeld);
    if (delivered.length === 0 && retried.length === 0 && dead.length === 0) return;
    const ok = await this.write(
      delivered,
      retried.map((r) => r.update),
      dead,
    );
    if (!ok) {
      // The store refused the write: keep these entries for another attempt, so nothing leaves
      // memory without its outcome recorded (a delivered one may be sent twice).
      for (const entry of [...delivered, ...deadEntries, ...retried.map((r) => r.entry)])
        deps.retryAt(now + deps.policy.delay(entry.attempts), entry);
      return;
    }
    for (const e of delivered) deps.release(e);
    for (const d of deadEntries) deps.release(d);
    for (const e of delivered) deps.settled(e.seq);
    for (const e of deadEntries) deps.settled(e.seq);
    if (delivered.length) deps.metrics.inc('log2events_delivered_total', 'Events a sink accepted', this.labels, delivered.length);
    const first = retried[0]?.update;
    if (first) {
      deps.metrics.inc('log2events_retries_total', 'Entries scheduled for another attempt', this.labels, retried.length);
      // An answer that is no acceptance, or a redirect, points at a wrong endpoint or a proxy in the way: say so.
      const level = first.code === UNRECOGNISED_ANSWER || first.code === REDIRECT_NOT_FOLLOWED ? 'warn' : 'debug';
      deps.logger[level]('retrying entries', { count: retried.length, code: first.code, message: first.message });
    }
    for (const r of retried) deps.retryAt(r.at, r.entry);
  }

  /** An entry that can never be sent (refused before any request): a dead letter, no attempt made. */
  async deadOnArrival(entry: SpooledEntry, code: string, message: string): Promise<void> {
    if (await this.write([], [], [this.deadMove(entry, code, message, null)])) this.deps.settled(entry.seq);
  }

  /** A spooled row the window could not read: a dead letter (its seq the window already skips). */
  unreadable(move: DeadLetterMove): Promise<boolean> {
    return this.write([], [], [move]);
  }

  private deadMove(entry: SpooledEntry, code: string, message: string, lastAttempt: number | null): DeadLetterMove {
    return {
      seq: entry.seq,
      eventRow: entry.eventRow,
      sink: this.deps.name,
      code,
      message,
      attempts: entry.attempts,
      firstAttempt: entry.firstAttempt,
      lastAttempt,
    };
  }

  /** Writes outcomes to the store; false when the store failed (logged by the queue). */
  private async write(
    delivered: readonly SpooledEntry[],
    retried: readonly RetryUpdate[],
    dead: readonly DeadLetterMove[],
  ): Promise<boolean> {
    const ok = await this.deps.queue.enqueue({ delivered, retried, dead });
    const first = dead[0];
    if (ok && first) {
      this.deps.metrics.inc('log2events_dead_letters_total', 'Events moved to dead letters', this.labels, dead.length);
      // One line per request, not per event: a sink with wrong credentials refuses every batch.
      this.deps.logger.warn('events moved to dead letters', {
        count: dead.length,
        code: first.code,
        message: first.message,
        attempts: first.attempts,
      });
    }
    return ok;
  }
}
