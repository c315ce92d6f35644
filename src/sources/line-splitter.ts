/**
 * Splits a byte stream into lines without ever holding more than `maxLineBytes` of one line:
 * a longer line is cut there (the rest of it is skipped and counted), so one huge line cannot
 * exhaust memory or stall the stream. CRLF endings lose their CR; invalid UTF-8 becomes U+FFFD.
 */
export class LineSplitter {
  private readonly maxLineBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  truncated = 0;

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.skipping) {
        const room = this.maxLineBytes - this.pendingBytes;
        const take = Math.min(end - start, room);
        if (take > 0) {
          this.pending.push(chunk.subarray(start, start + take));
          this.pendingBytes += take;
        }
        if (end - start > take) {
          this.truncated++;
          this.skipping = true;
        }
      }
      if (nl === -1) return;
      this.emit(onLine);
      start = nl + 1;
    }
  }

  /** The last line when the stream ends without a newline. */
  end(onLine: (line: string) => void): void {
    if (this.pendingBytes > 0 || this.skipping) this.emit(onLine);
  }

  private emit(onLine: (line: string) => void): void {
    let buf = (this.pending.length === 1 ? this.pending[0] : undefined) ?? Buffer.concat(this.pending, this.pendingBytes);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    onLine(buf.toString('utf8'));
  }
}
