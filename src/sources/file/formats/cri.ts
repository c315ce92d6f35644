import type { EnvelopePiece } from './entry.ts';
import { parseRfc3339Nano } from './time.ts';

export interface CriLine {
  time: bigint;
  stream: string;
  partial: boolean;
  message: string;
}

/** `<RFC3339Nano> <stdout|stderr> <P|F>[:flags] <message>` as written by containerd and CRI-O. */
export function parseCriLine(line: string): CriLine | undefined {
  const s1 = line.indexOf(' ');
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(' ', s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.slice(s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  let s3 = line.indexOf(' ', s2 + 1);
  if (s3 < 0) s3 = line.length; // an empty message may come without the separating space
  const tag = line.slice(s2 + 1, s3);
  const kind = tag.split(':', 1)[0];
  if (kind !== 'P' && kind !== 'F') return undefined;
  const time = parseRfc3339Nano(line.slice(0, s1));
  if (time === undefined) return undefined;
  return { time, stream, partial: kind === 'P', message: line.slice(s3 + 1) };
}

/** CRI container logs: partial (`P`) lines are merged up to the final (`F`) one. */
export function criPiece(line: string, offset: number): EnvelopePiece | undefined {
  const cri = parseCriLine(line);
  if (!cri) return undefined;
  return { piece: { offset, text: cri.message, timeUnixNano: cri.time, attributes: { 'log.iostream': cri.stream } }, partial: cri.partial };
}
