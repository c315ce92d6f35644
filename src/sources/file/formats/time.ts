/** Timestamps found in log envelopes and JSON lines, to nanoseconds since the epoch. */

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** RFC 3339 with up to nanosecond precision (`2024-01-02T03:04:05.123456789Z`). */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  let zone = m[4] ?? 'Z';
  if (zone === 'z') zone = 'Z';
  else if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = m[3] ? BigInt(m[3].padEnd(9, '0')) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}

/** A JSON timestamp: RFC 3339 text, or epoch seconds / ms / µs / ns judged by magnitude. */
export function parseTimestampValue(value: unknown): bigint | undefined {
  if (typeof value === 'string') {
    const t = parseRfc3339Nano(value);
    if (t !== undefined) return t;
    if (!/^\d+(\.\d+)?$/.test(value)) return undefined;
    return parseTimestampValue(Number(value));
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  if (value < 1e11) return BigInt(Math.round(value * 1e3)) * 1_000_000n; // seconds
  if (value < 1e14) return BigInt(Math.round(value)) * 1_000_000n; // milliseconds
  if (value < 1e17) return BigInt(Math.round(value)) * 1_000n; // microseconds
  return BigInt(Math.round(value)); // nanoseconds
}
