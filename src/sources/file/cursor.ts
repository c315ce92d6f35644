import type { Decoder, Entry } from './formats/entry.ts';
import { LiteralFinder } from './literal-finder.ts';
import type { MultilineAggregator } from './multiline.ts';

const NL = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
/** Docker splits lines at 16 KiB: any line that long fully covers one aligned window this size. */
const DOCKER_WINDOW = 4096;
/** How far back (in lines) the multiline fast path looks for a record's start line. */
const MAX_LOOKBACK_LINES = 64;
const CRI_PARTIAL_MARKERS = [Buffer.from(' stdout P '), Buffer.from(' stderr P ')];

/** What guards the fast path against envelopes whose partial lines a byte scan would split. */
export type PartialGuard = 'none' | 'cri' | 'docker';

export interface CursorOptions {
  maxLineBytes: number;
  decoder: Decoder;
  multiline: MultilineAggregator | undefined;
  /** Byte patterns a line must contain (any) to matter; null: every line matters; []: none does. */
  literals: readonly Buffer[] | null;
  guard: PartialGuard;
  onEntry(entry: Entry): void;
  onTruncated(): void;
}

export interface CursorPosition {
  /** Everything before this offset has been handed over. */
  offset: number;
  /** The offset is inside a line that was truncated: drop bytes up to its newline. */
  skip: boolean;
}

/**
 * Reads one file's bytes chunk by chunk: splits lines (holding a partial last line), truncates
 * long ones, and hands the lines that matter to the decoder. With literals, regions that
 * contain none are skipped without decoding: only the line around each literal hit is read.
 */
export class FileCursor {
  /** File offset of the next byte to read. */
  readPos: number;
  private carry: Buffer = EMPTY;
  private skipping: boolean;
  private readonly opts: CursorOptions;
  private readonly nextHit: number[];
  /** One per literal: a memchr on its rarest byte, checked (literal-finder.ts). */
  private readonly finders: LiteralFinder[];
  /** The buffer `nextHit` positions refer to. */
  private hitBuffer: Buffer | undefined;
  /** The open multiline record holds a literal (so it is read to its end). */
  private recordHit = false;

  constructor(start: CursorPosition, opts: CursorOptions) {
    this.readPos = start.offset;
    this.skipping = start.skip;
    this.opts = opts;
    this.nextHit = new Array<number>(opts.literals?.length ?? 0).fill(0);
    this.finders = (opts.literals ?? []).map((l) => new LiteralFinder(l));
  }

  /** Bytes held back from the previous chunk, to go in front of the next read. */
  get held(): Buffer {
    return this.carry;
  }

  /** Consumes `data` = held bytes followed by freshly read ones. */
  consume(data: Buffer): void {
    const base = this.readPos - this.carry.length;
    this.readPos = base + data.length;
    let pos = 0;
    if (this.skipping) {
      const nl = data.indexOf(NL);
      if (nl < 0) {
        this.carry = EMPTY;
        return;
      }
      this.skipping = false;
      pos = nl + 1;
    }
    const end = data.lastIndexOf(NL) + 1;
    if (end > pos) this.scan(data, pos, end, base);
    const tailStart = Math.max(pos, end);
    const tailLen = data.length - tailStart;
    if (tailLen >= this.opts.maxLineBytes) {
      // A line longer than the cap: hand over its head now and drop the rest up to its newline,
      // so one huge line neither stalls the file nor grows memory.
      const headEnd = tailStart + this.opts.maxLineBytes;
      if (this.relevant(data, tailStart, headEnd)) this.line(data, tailStart, headEnd, base, true);
      else this.opts.onTruncated();
      this.skipping = true;
      this.carry = EMPTY;
    } else {
      // Copied: the caller reuses its read buffer.
      this.carry = tailLen === 0 ? EMPTY : Buffer.from(data.subarray(tailStart));
    }
  }

  /** Where a restart must resume so that nothing handed over is repeated and nothing is lost. */
  position(): CursorPosition {
    const d = this.opts.decoder.pendingOffset();
    const m = this.opts.multiline?.pendingOffset();
    const pending = d === undefined ? m : m === undefined ? d : Math.min(d, m);
    if (pending !== undefined) return { offset: pending, skip: false };
    if (this.skipping) return { offset: this.readPos, skip: true };
    return { offset: this.readPos - this.carry.length, skip: false };
  }

  /** Whether anything is held that a flush would complete. */
  get hasPending(): boolean {
    return (
      (this.carry.length > 0 && !this.skipping) ||
      this.opts.decoder.pendingOffset() !== undefined ||
      this.opts.multiline?.pendingOffset() !== undefined
    );
  }

  /** The writer has gone quiet: the partial last line and unfinished records are complete. */
  flush(): void {
    if (this.carry.length > 0 && !this.skipping) {
      const data = this.carry;
      this.carry = EMPTY;
      if (this.relevant(data, 0, data.length)) this.line(data, 0, data.length, this.readPos - data.length, false);
    }
    const rest = this.opts.decoder.flush();
    if (rest) this.entry(rest);
    const record = this.opts.multiline?.flush();
    this.recordHit = false;
    if (record) this.opts.onEntry(record);
  }

  private get decoderPending(): boolean {
    return this.opts.decoder.pendingOffset() !== undefined;
  }

  /** Whether a line in [start, end) can matter, judged on raw bytes. */
  private relevant(data: Buffer, start: number, end: number): boolean {
    const lits = this.opts.literals;
    if (lits === null || this.opts.multiline || this.decoderPending) return true;
    for (const f of this.finders) {
      const at = f.find(data, start);
      if (at >= 0 && at + f.literal.length <= end) return true;
    }
    return false;
  }

  /** Hands over the complete lines in [pos, end) (end is just past a newline). */
  private scan(data: Buffer, pos: number, end: number, base: number): void {
    const lits = this.opts.literals;
    if (lits === null || !this.guardAllows(data, pos, end)) {
      this.everyLine(data, pos, end, base);
      return;
    }
    if (lits.length === 0 && !this.decoderPending) return;
    this.nextHit.fill(-2); // unknown for this buffer
    this.hitBuffer = data;
    if (this.opts.multiline) {
      // Envelope pieces must be merged in order before records can be told apart.
      if (this.opts.guard === 'none') this.scanRecords(data, pos, end, base, this.opts.multiline);
      else this.everyLine(data, pos, end, base);
      return;
    }
    while (pos < end) {
      if (this.decoderPending) {
        // An envelope group is open: its remaining pieces are read in order, hit or not.
        pos = this.lineAt(data, pos, base);
        continue;
      }
      const hit = this.nextHitFrom(data, pos);
      if (hit < 0 || hit >= end) return;
      const start = lineStart(data, hit, pos);
      const nl = data.indexOf(NL, hit);
      this.line(data, start, nl, base, false);
      pos = nl + 1;
    }
  }

  /** Where the next literal starts at or after `pos` (-1: nowhere in the buffer). */
  private nextHitFrom(data: Buffer, pos: number): number {
    const finders = this.finders;
    const next = this.nextHit;
    let hit = -1;
    for (let i = 0; i < finders.length; i++) {
      const finder = finders[i];
      let at = next[i];
      if (finder === undefined || at === undefined) continue;
      if (at === -2 || (at >= 0 && at < pos)) next[i] = at = finder.find(data, pos);
      if (at >= 0 && (hit < 0 || at < hit)) hit = at;
    }
    return hit;
  }

  /**
   * The fast path for multiline records. A line matching start_pattern begins a record whatever
   * came before, so reading may jump to one: the records between the open one (if it holds no
   * hit) and the record of the next literal hit cannot match and are skipped. The record holding
   * a hit is read whole, and so is the last record of the region (its rest, in the next chunk,
   * may hold a hit). Where no start line is near enough, lines are read in order.
   */
  private scanRecords(data: Buffer, pos: number, end: number, base: number, ml: MultilineAggregator): void {
    while (pos < end) {
      if (this.recordHit) {
        // The open record holds a hit: read on until it is complete.
        pos = this.lineAt(data, pos, base);
        continue;
      }
      const hit = this.nextHitFrom(data, pos);
      const hitLine = hit >= 0 && hit < end ? lineStart(data, hit, pos) : -1;
      // Look back from the hit's line (or from the region's last line) for a start line.
      const from = hitLine >= 0 ? hitLine : lineStart(data, end - 1, pos);
      const start = this.startLineAtOrBefore(data, pos, from, ml);
      const upTo = hitLine >= 0 ? data.indexOf(NL, hit) + 1 : end;
      if (start > pos) ml.discard();
      this.everyLine(data, start < 0 ? pos : start, upTo, base);
      pos = upTo;
    }
  }

  /** The offset of the last start line in [pos, from] (from is a line start), or -1 beyond the lookback. */
  private startLineAtOrBefore(data: Buffer, pos: number, from: number, ml: MultilineAggregator): number {
    let at = from;
    for (let n = 0; n < MAX_LOOKBACK_LINES; n++) {
      const nl = data.indexOf(NL, at);
      let e = nl;
      if (e > at && data[e - 1] === CR) e--;
      if (e - at > this.opts.maxLineBytes) e = at + this.opts.maxLineBytes;
      const entry = this.opts.decoder.push(data.toString('utf8', at, e), 0);
      if (entry && ml.isStart(entry.text)) return at;
      if (at <= pos) return -1;
      at = lineStart(data, at - 1, pos);
    }
    return -1;
  }

  private everyLine(data: Buffer, pos: number, end: number, base: number): void {
    while (pos < end) pos = this.lineAt(data, pos, base);
  }

  /** Hands over the complete line starting at `pos`; answers where the next one starts. */
  private lineAt(data: Buffer, pos: number, base: number): number {
    const nl = data.indexOf(NL, pos);
    this.line(data, pos, nl, base, false);
    return nl + 1;
  }

  /** The fast path is safe unless the region holds envelope pieces a literal could straddle. */
  private guardAllows(data: Buffer, pos: number, end: number): boolean {
    switch (this.opts.guard) {
      case 'none':
        return true;
      case 'cri':
        for (const marker of CRI_PARTIAL_MARKERS) {
          const at = data.indexOf(marker, pos);
          if (at >= 0 && at < end) return false;
        }
        return true;
      case 'docker':
        for (let p = pos; p + DOCKER_WINDOW <= end; p += DOCKER_WINDOW) {
          const nl = data.indexOf(NL, p);
          if (nl < 0 || nl >= p + DOCKER_WINDOW) return false;
        }
        return true;
    }
  }

  private line(data: Buffer, start: number, end: number, base: number, truncated: boolean): void {
    if (end > start && data[end - 1] === CR) end--;
    if (end - start > this.opts.maxLineBytes) {
      end = start + this.opts.maxLineBytes;
      truncated = true;
    }
    if (truncated) this.opts.onTruncated();
    const entry = this.opts.decoder.push(data.toString('utf8', start, end), base + start);
    if (entry) this.entry(entry, this.opts.multiline !== undefined && this.holdsLiteral(data, start, end));
  }

  private holdsLiteral(data: Buffer, start: number, end: number): boolean {
    const lits = this.opts.literals;
    if (lits === null) return true;
    if (data === this.hitBuffer) {
      const hit = this.nextHitFrom(data, start);
      return hit >= 0 && hit < end;
    }
    const line = data.subarray(start, end);
    return lits.some((lit) => line.includes(lit));
  }

  private entry(entry: Entry, hit = false): void {
    const ml = this.opts.multiline;
    if (!ml) {
      this.opts.onEntry(entry);
      return;
    }
    const record = ml.push(entry);
    if (record) {
      this.recordHit = hit;
      this.opts.onEntry(record);
    } else {
      this.recordHit ||= hit;
    }
  }
}

/** Start of the line holding byte `at`, not before `floor`. */
function lineStart(data: Buffer, at: number, floor: number): number {
  const prev = at === 0 ? -1 : data.lastIndexOf(NL, at - 1);
  return Math.max(prev + 1, floor);
}
