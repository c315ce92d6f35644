/** A plain object (not null, not an array): a rule's override block or a JSON object value. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
