import { z } from 'zod';
import type { Fingerprint } from './fingerprint.ts';

/** What the file source stores per file, under the file's id (its first fingerprint). */
export interface FileCheckpoint {
  offset: number;
  skip: boolean;
  fp: Fingerprint;
  path: string;
  dev: number;
  ino: number;
  /** The bytes just before `offset` (see tail.ts): tells a file rewritten in place since. */
  tail?: Fingerprint;
}

const storedSchema = z.object({
  v: z.literal(1),
  offset: z.number().int().min(0),
  skip: z.boolean().default(false),
  fp_len: z.number().int().min(0),
  fp: z.string(),
  path: z.string(),
  dev: z.number(),
  ino: z.number(),
  tail_len: z.number().int().min(1).optional(),
  tail: z.string().optional(),
});

export function encodeCheckpoint(cp: FileCheckpoint): string {
  const tail = cp.tail ? { tail_len: cp.tail.len, tail: cp.tail.hash } : {};
  return JSON.stringify({
    v: 1,
    offset: cp.offset,
    skip: cp.skip,
    fp_len: cp.fp.len,
    fp: cp.fp.hash,
    path: cp.path,
    dev: cp.dev,
    ino: cp.ino,
    ...tail,
  });
}

/** Parses a stored value; undefined for values this version cannot read (they are ignored). */
export function decodeCheckpoint(value: string): FileCheckpoint | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = storedSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const s = parsed.data;
  const cp: FileCheckpoint = { offset: s.offset, skip: s.skip, fp: { len: s.fp_len, hash: s.fp }, path: s.path, dev: s.dev, ino: s.ino };
  if (s.tail_len !== undefined && s.tail !== undefined) cp.tail = { len: s.tail_len, hash: s.tail };
  return cp;
}
