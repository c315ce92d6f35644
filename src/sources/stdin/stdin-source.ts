import type { Readable } from 'node:stream';
import type { Event } from '../../model/event.ts';
import type { Source, SourceContext } from '../source.ts';
import type { SourceFactoryDeps } from '../source-type.ts';
import { LineSplitter } from '../line-splitter.ts';
import { lineRecord } from '../line-record.ts';
import type { StdinSourceConfig } from './config.ts';

/**
 * One record per line of standard input. Events of a chunk are committed together; when the
 * spool is full the stream is paused until there is room (backpressure to the writer).
 */
export class StdinSource implements Source {
  readonly name: string;
  readonly type = 'stdin';
  private readonly cfg: StdinSourceConfig;
  private readonly deps: SourceFactoryDeps;
  private readonly input: Readable;
  private done: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly startedAt = Date.now();

  constructor(name: string, cfg: StdinSourceConfig, deps: SourceFactoryDeps, input: Readable) {
    this.name = name;
    this.cfg = cfg;
    this.deps = deps;
    this.input = input;
  }

  async start(ctx: SourceContext): Promise<void> {
    this.done = this.pump(ctx);
  }

  /** Resolves when stdin has ended and everything read was committed. */
  drained(): Promise<void> {
    return this.done;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.input.pause();
    this.input.destroy();
    await this.done.catch(() => undefined);
  }

  private async pump(ctx: SourceContext): Promise<void> {
    const splitter = new LineSplitter(this.cfg.max_line_bytes);
    let lineNo = 0;
    let events: Event[] = [];
    const onLine = (line: string) => {
      lineNo++;
      const record = lineRecord(line, { 'log.source': 'stdin' }, `stdin:${this.startedAt}:${lineNo}`);
      for (const ev of ctx.processor.process(record, this.name)) events.push(ev);
    };
    try {
      for await (const chunk of this.input) {
        if (this.stopping) break;
        events = [];
        splitter.push(chunk as Buffer, onLine);
        if (events.length) await this.commit(ctx, events);
      }
    } catch (err) {
      if (!this.stopping) this.deps.logger.warn('stdin read failed', { source: this.name, error: (err as Error).message });
    }
    if (this.stopping) return;
    events = [];
    splitter.end(onLine);
    if (events.length) await this.commit(ctx, events);
    if (splitter.truncated)
      this.deps.metrics.inc('log2events_lines_truncated_total', 'Lines cut at max_line_bytes', { source: this.name }, splitter.truncated);
    this.deps.logger.info('stdin ended', { source: this.name, lines: lineNo });
  }

  private async commit(ctx: SourceContext, events: Event[]): Promise<void> {
    for (;;) {
      const r = ctx.intake.commit(events);
      if (r.ok) return;
      if (r.reason === 'closed') return;
      // The for-await loop reads no further while we wait: that is the backpressure.
      await ctx.intake.waitForRoom(ctx.signal);
    }
  }
}
