/**
 * Parses a Retry-After value into milliseconds from `now`: delay-seconds (`120`, also `1.5`) or
 * an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`). `unit: 'ms'` reads a bare number as
 * milliseconds, for provider headers that use them. Undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now(), unit: 's' | 'ms' = 's'): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return Math.ceil(unit === 's' ? n * 1000 : n);
  }
  // An HTTP date names its month; anything else that Date.parse might accept ("-5") is not one.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
