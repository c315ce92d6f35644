import type { EnvelopePiece, Entry } from './entry.ts';
import { parseJsonObject } from './json.ts';
import { parseRfc3339Nano } from './time.ts';

/** Docker json-file: `{"log":"...\n","stream":"stdout","time":"..."}`; a `log` without a trailing newline is partial. */
export function dockerPiece(line: string, offset: number): EnvelopePiece | undefined {
  const obj = parseJsonObject(line);
  const log = obj?.['log'];
  if (!obj || typeof log !== 'string') return undefined;
  const complete = log.endsWith('\n');
  let text = complete ? log.slice(0, -1) : log;
  if (complete && text.endsWith('\r')) text = text.slice(0, -1);
  const piece: Entry = { offset, text };
  const time = typeof obj['time'] === 'string' ? parseRfc3339Nano(obj['time']) : undefined;
  if (time !== undefined) piece.timeUnixNano = time;
  if (typeof obj['stream'] === 'string') piece.attributes = { 'log.iostream': obj['stream'] };
  return { piece, partial: !complete };
}
