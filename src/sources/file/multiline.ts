import type { MultilineConfig } from './config.ts';
import type { Entry } from './formats/entry.ts';

/**
 * Groups entries into records: a record starts at an entry whose text matches `start_pattern`
 * and takes the following entries up to the next start, `max_lines` or `max_bytes`.
 */
export class MultilineAggregator {
  private readonly config: MultilineConfig;
  private first: Entry | undefined;
  private lines: string[] = [];
  private bytes = 0;

  constructor(config: MultilineConfig) {
    this.config = config;
  }

  /** Feeds one entry; answers the record it completed, if any. */
  push(entry: Entry): Entry | undefined {
    const { max_lines, max_bytes } = this.config;
    let done: Entry | undefined;
    if (this.first) {
      const startsNew = this.isStart(entry.text);
      const overflow = this.lines.length >= max_lines || this.bytes + 1 + entry.text.length > max_bytes;
      if (startsNew || overflow) done = this.take();
    }
    if (!this.first) this.first = entry;
    this.lines.push(entry.text);
    this.bytes += entry.text.length + (this.lines.length > 1 ? 1 : 0);
    return done;
  }

  pendingOffset(): number | undefined {
    return this.first?.offset;
  }

  /** Whether an entry with this text begins a record whatever came before. */
  isStart(text: string): boolean {
    return this.config.start_pattern.test(text);
  }

  /** Drops the unfinished record (the fast path skips records that cannot match). */
  discard(): void {
    this.first = undefined;
    this.lines = [];
    this.bytes = 0;
  }

  flush(): Entry | undefined {
    return this.take();
  }

  private take(): Entry | undefined {
    const first = this.first;
    if (!first) return undefined;
    let text = (this.lines.length === 1 ? this.lines[0] : undefined) ?? this.lines.join('\n');
    if (text.length > this.config.max_bytes) text = text.slice(0, this.config.max_bytes);
    this.first = undefined;
    this.lines = [];
    this.bytes = 0;
    // A structured body describes the first line only; the merged text becomes the body.
    const { body: _body, ...rest } = first;
    return { ...rest, text };
  }
}
