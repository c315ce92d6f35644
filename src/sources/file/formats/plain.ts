import { plainEntry } from '../../line-record.ts';
import type { Decoder, Entry } from './entry.ts';

/** Every line is one entry, as it is; a leading ISO-8601 timestamp is its time (as stdin reads it). */
export class PlainDecoder implements Decoder {
  private readonly parseTime: boolean;
  constructor(parseTime = true) {
    this.parseTime = parseTime;
  }

  push(line: string, offset: number): Entry {
    return plainEntry(line, offset, this.parseTime);
  }
  pendingOffset(): undefined {
    return undefined;
  }
  flush(): undefined {
    return undefined;
  }
}
