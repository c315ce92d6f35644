import { PartialGroup, type Decoder, type Entry } from './entry.ts';
import { parseJsonObject } from './json.ts';
import { parseRfc3339Nano } from './time.ts';

/** Docker json-file: `{"log":"...\n","stream":"stdout","time":"..."}`; a `log` without a trailing newline is partial. */
export class DockerDecoder implements Decoder {
  private readonly group: PartialGroup;
  constructor(maxBytes: number) {
    this.group = new PartialGroup(maxBytes);
  }

  push(line: string, offset: number): Entry | undefined {
    const obj = parseJsonObject(line);
    const log = obj?.['log'];
    if (!obj || typeof log !== 'string') {
      if (this.group.open) {
        this.group.add({ offset, text: line });
        return this.group.take();
      }
      return { offset, text: line };
    }
    const complete = log.endsWith('\n');
    let text = complete ? log.slice(0, -1) : log;
    if (complete && text.endsWith('\r')) text = text.slice(0, -1);
    const piece: Entry = { offset, text };
    const time = typeof obj['time'] === 'string' ? parseRfc3339Nano(obj['time']) : undefined;
    if (time !== undefined) piece.timeUnixNano = time;
    if (typeof obj['stream'] === 'string') piece.attributes = { 'log.iostream': obj['stream'] };
    const full = this.group.add(piece);
    return complete || full ? this.group.take() : undefined;
  }
  pendingOffset(): number | undefined {
    return this.group.start?.offset;
  }
  flush(): Entry | undefined {
    return this.group.take();
  }
}
