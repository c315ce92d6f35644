import type { Event } from '../../src/model/event.ts';
import type { LogRecord } from '../../src/model/log-record.ts';
import { bodyText, recordTimeMs } from '../../src/model/log-record.ts';
import { eventSeverityFor } from '../../src/model/severity.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { CommitResult, Intake, RecordProcessor, SourceContext } from '../../src/sources/source.ts';

/** An intake that keeps what is committed and can be told to report the spool full. */
export class FakeIntake implements Intake {
  readonly committed: Event[] = [];
  commits = 0;
  refused = 0;
  private state: CommitResult = { ok: true };
  private broken: Error | undefined;
  private waiters: (() => void)[] = [];

  setFull(retryAfterMs: number): void {
    this.state = { ok: false, reason: 'full', retryAfterMs };
  }

  /** Commits throw, as a store with a failing disk would. */
  setBroken(error: Error | undefined): void {
    this.broken = error;
  }

  setOpen(): void {
    this.state = { ok: true };
    for (const w of this.waiters.splice(0)) w();
  }

  commit(events: readonly Event[]): CommitResult {
    if (this.broken) throw this.broken;
    if (!this.state.ok) {
      this.refused++;
      return this.state;
    }
    this.commits++;
    this.committed.push(...events);
    return this.state;
  }

  waitForRoom(): Promise<void> {
    return this.state.ok ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  checkpoints(): Map<string, string> {
    return new Map();
  }

  forgetCheckpoints(): void {}
}

/**
 * Sees every record and turns those whose body mentions `payment failed` into an event, the
 * way one rule would; enough to observe what the receiver hands to the rules.
 */
export class FakeProcessor implements RecordProcessor {
  readonly records: LogRecord[] = [];

  process(record: LogRecord): Event[] {
    this.records.push(record);
    const text = bodyText(record.body);
    if (text.includes('rule bug')) throw new Error('template blew up');
    if (!text.includes('payment failed')) return [];
    return [
      {
        id: `${record.origin}:payment`,
        rule: 'payment',
        name: 'PaymentFailed',
        source: 'test',
        time: recordTimeMs(record),
        severity: eventSeverityFor(record.severityNumber),
        state: 'incident',
        action: 'raise',
        content: text,
        resource: {},
        dimensions: {},
        attributes: {},
        key: record.origin ?? '',
        to: ['out'],
        overrides: {},
      },
    ];
  }

  literalsFor(): readonly string[] | null {
    return null;
  }
}

export function fakeContext(): { ctx: SourceContext; intake: FakeIntake; processor: FakeProcessor; abort: AbortController } {
  const intake = new FakeIntake();
  const processor = new FakeProcessor();
  const abort = new AbortController();
  return { ctx: { intake, processor, logger: silentLogger, signal: abort.signal }, intake, processor, abort };
}
