import { z } from 'zod';

/** A byte size: `256KB`, `1MiB`, `512` (bytes). KB/MB are 1000-based, KiB/MiB 1024-based. */
export function parseByteSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$/i.exec(input);
  if (!m) return undefined;
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1048576, gb: 1e9, gib: 1073741824 };
  const factor = mult[unit];
  return factor === undefined ? undefined : Math.floor(Number(m[1]) * factor);
}

export const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const n = parseByteSize(value);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(value)} (use e.g. 512, 256KB, 1MiB)` });
    return z.NEVER;
  }
  return n;
});
