import { z } from 'zod';
import { sinkCommonShape } from '../common-options.ts';
import { defineSinkType } from '../sink-type.ts';
import { deliveredAll, type Sink } from '../sink.ts';
import { eventJsonLine, eventJsonLineBytes } from '../event-json.ts';

export function stdoutSinkSchema() {
  return z.strictObject({
    type: z.literal('stdout'),
    ...sinkCommonShape(),
  });
}

/** Events as JSON lines on standard output; for trying rules and for piping into other tools. */
export function createStdoutSink(name: string, write: (text: string) => Promise<void> = writeStdout): Sink {
  return {
    name,
    type: 'stdout',
    limits: { maxEntries: 1000, maxBytes: 16 * 1024 * 1024 },
    entrySize: eventJsonLineBytes,
    async send(batch) {
      await write(batch.map(eventJsonLine).join(''));
      return deliveredAll(batch.length);
    },
    async close() {},
  };
}

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

export const stdoutSinkType = defineSinkType({ type: 'stdout', schema: stdoutSinkSchema, create: (name) => createStdoutSink(name) });
