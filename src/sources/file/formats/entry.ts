import type { Entry } from '../../line-record.ts';

export type { Entry } from '../../line-record.ts';

/**
 * Turns physical lines into entries. Envelope formats merge partial lines (CRI `P`, docker
 * lines without a trailing newline), so a line may complete nothing yet.
 */
export interface Decoder {
  push(line: string, offset: number): Entry | undefined;
  /** Offset of the first line of an unfinished entry, if any. */
  pendingOffset(): number | undefined;
  /** Completes an unfinished entry (flush timeout, end of file). */
  flush(): Entry | undefined;
}

/** Joins partial pieces of one logical line (CRI P/F, docker partial), capped in size. */
export class PartialGroup {
  private parts: string[] = [];
  private bytes = 0;
  start: Entry | undefined;
  private readonly maxBytes: number;
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get open(): boolean {
    return this.start !== undefined;
  }

  /** Adds a piece; answers whether the cap was reached (the caller completes the group then). */
  add(piece: Entry): boolean {
    if (!this.start) this.start = piece;
    this.parts.push(piece.text);
    this.bytes += piece.text.length;
    return this.bytes >= this.maxBytes;
  }

  take(): Entry | undefined {
    const start = this.start;
    if (!start) return undefined;
    let text = (this.parts.length === 1 ? this.parts[0] : undefined) ?? this.parts.join('');
    if (text.length > this.maxBytes) text = text.slice(0, this.maxBytes);
    this.parts = [];
    this.bytes = 0;
    this.start = undefined;
    return { ...start, text };
  }
}

/** One physical line of an envelope format: a piece of a logical line, and whether more follow. */
export interface EnvelopePiece {
  piece: Entry;
  partial: boolean;
}

/**
 * Envelope formats (CRI, docker json-file): the pieces of one logical line are merged. A line
 * outside the envelope ends an open group (joined to it, keeping the order) or stands alone.
 */
export class EnvelopeDecoder implements Decoder {
  private readonly group: PartialGroup;
  private readonly parse: (line: string, offset: number) => EnvelopePiece | undefined;

  constructor(maxBytes: number, parse: (line: string, offset: number) => EnvelopePiece | undefined) {
    this.group = new PartialGroup(maxBytes);
    this.parse = parse;
  }

  push(line: string, offset: number): Entry | undefined {
    const parsed = this.parse(line, offset);
    if (!parsed) {
      if (!this.group.open) return { offset, text: line };
      this.group.add({ offset, text: line });
      return this.group.take();
    }
    const full = this.group.add(parsed.piece);
    return parsed.partial && !full ? undefined : this.group.take();
  }
  pendingOffset(): number | undefined {
    return this.group.start?.offset;
  }
  flush(): Entry | undefined {
    return this.group.take();
  }
}
