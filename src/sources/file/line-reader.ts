import type { Attributes, LogRecord } from '../../model/log-record.ts';
import type { ConcreteFormat, FileSourceConfig, FormatName } from './config.ts';
import { createDecoder, detectFormat, type Decoder, type Entry } from './formats/index.ts';
import { entryRecord } from '../line-record.ts';
import { fileRecordContext } from './record-context.ts';
import { MultilineAggregator } from './multiline.ts';

/**
 * Lines turned into records as the file source turns a file's lines into records — same
 * decoders (CRI/docker partial lines merged), multiline grouping, path attributes and
 * Kubernetes resource — for `eval` and `test`, which have lines but no file.
 */
export class FileLineReader {
  private readonly config: FileSourceConfig;
  private readonly format: FormatName;
  private readonly attributes: Attributes;
  private readonly resource: Attributes;
  private readonly origin: string;
  private decoder: Decoder | undefined;
  private readonly multiline: MultilineAggregator | undefined;
  private offset = 0;

  constructor(config: FileSourceConfig, opts: { format?: FormatName; path?: string; origin: string }) {
    this.config = config;
    this.format = opts.format ?? config.format;
    const shared = opts.path ? fileRecordContext(opts.path) : { attributes: {}, resource: {} };
    this.attributes = shared.attributes;
    this.resource = shared.resource;
    this.origin = opts.origin;
    this.multiline = config.multiline ? new MultilineAggregator(config.multiline) : undefined;
  }

  /** One physical line (without its newline); answers the records it completed. */
  push(line: string): LogRecord[] {
    const offset = this.offset;
    this.offset += Buffer.byteLength(line) + 1;
    this.decoder ??= createDecoder(this.format === 'auto' ? detectFormat(line, true) : (this.format as ConcreteFormat), this.config);
    const out: LogRecord[] = [];
    this.emit(this.decoder.push(line, offset), out);
    return out;
  }

  /** The end of input: what is still unfinished (a partial line, a multiline record) completes. */
  end(): LogRecord[] {
    const out: LogRecord[] = [];
    this.emit(this.decoder?.flush(), out);
    const rest = this.multiline?.flush();
    if (rest) out.push(this.record(rest));
    return out;
  }

  private emit(entry: Entry | undefined, out: LogRecord[]): void {
    if (!entry) return;
    const done = this.multiline ? this.multiline.push(entry) : entry;
    if (done) out.push(this.record(done));
  }

  private record(entry: Entry): LogRecord {
    return entryRecord(entry, this.attributes, this.resource, `${this.origin}:${entry.offset}`);
  }
}
