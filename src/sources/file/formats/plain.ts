import type { Decoder, Entry } from './entry.ts';

/** Every line is one entry, as it is. */
export class PlainDecoder implements Decoder {
  push(line: string, offset: number): Entry {
    return { offset, text: line };
  }
  pendingOffset(): undefined {
    return undefined;
  }
  flush(): undefined {
    return undefined;
  }
}
