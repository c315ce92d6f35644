import { createHash } from 'node:crypto';
import type { Event } from '../../src/model/event.ts';
import { bodyText, type LogRecord } from '../../src/model/log-record.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { Checkpoint, CommitOptions, CommitResult, Intake, RecordProcessor, SourceContext } from '../../src/sources/source.ts';

/** The spool as the file source sees it: commits land in memory, atomically, in order. */
export class MemoryIntake implements Intake {
  readonly events: Event[] = [];
  readonly records: LogRecord[] = [];
  readonly store = new Map<string, Map<string, string>>();
  commits = 0;
  /** Answers `full` this many times before accepting (backpressure). */
  fullAnswers = 0;
  roomWaits = 0;

  /** Commits that said they can be read again (all of a file source's). */
  replayable = 0;
  /** Times the source asked for what is held to be made durable (rotation, truncation, gone). */
  secured = 0;

  commit(events: readonly Event[], checkpoints: readonly Checkpoint[] = [], options: CommitOptions = {}): CommitResult {
    if (options.replayable) this.replayable++;
    if (this.fullAnswers > 0) {
      this.fullAnswers--;
      return { ok: false, reason: 'full', retryAfterMs: 10 };
    }
    this.commits++;
    this.events.push(...events);
    for (const cp of checkpoints) {
      let m = this.store.get(cp.source);
      if (!m) this.store.set(cp.source, (m = new Map()));
      m.set(cp.key, cp.value);
    }
    return { ok: true };
  }
  secure(): void {
    this.secured++;
  }
  async waitForRoom(): Promise<void> {
    this.roomWaits++;
    await new Promise((r) => setTimeout(r, 5));
  }
  checkpoints(source: string): Map<string, string> {
    return new Map(this.store.get(source) ?? []);
  }
  forgetCheckpoints(source: string, keys: readonly string[]): void {
    for (const k of keys) this.store.get(source)?.delete(k);
  }
}

/** A rule set of one `contains` rule per literal (or, with `null`, a rule matching every record). */
export class LiteralProcessor implements RecordProcessor {
  readonly seen: LogRecord[] = [];
  private readonly literals: string[] | null;
  constructor(literals: string[] | null) {
    this.literals = literals;
  }
  literalsFor(): readonly string[] | null {
    return this.literals;
  }
  process(record: LogRecord): Event[] {
    this.seen.push(record);
    const text = bodyText(record.body);
    if (this.literals && !this.literals.some((l) => text.includes(l))) return [];
    const id = createHash('sha256')
      .update(record.origin ?? '')
      .digest('hex')
      .slice(0, 16);
    return [
      {
        id,
        rule: 'r',
        name: 'Match',
        source: 'test',
        time: 0,
        severity: 'Info',
        state: 'incident',
        action: 'raise',
        content: text,
        resource: {},
        dimensions: {},
        attributes: {},
        key: id,
        overrides: {},
        to: ['out'],
      },
    ];
  }
}

export function fakeContext(intake: MemoryIntake, processor: RecordProcessor): SourceContext & { abort(): void } {
  const controller = new AbortController();
  return { intake, processor, logger: silentLogger, signal: controller.signal, abort: () => controller.abort() };
}

/** Polls until `check` holds (tests wait for outcomes, never for fixed times). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
