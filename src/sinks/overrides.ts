import type { Event, ProviderName } from '../model/event.ts';

/**
 * Readers for a rule's per-provider override block (`aws:`, `alibaba:`, `huawei_ces:`,
 * `huawei_aom:`), whose values are rendered templates or YAML literals.
 */
export function overrideBlock(event: Event, provider: ProviderName): Record<string, unknown> {
  return (event.overrides[provider] ?? {}) as Record<string, unknown>;
}

/** A non-empty string, else undefined (the neutral field applies). */
export function overrideString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Like overrideString, but a number counts too, as its decimal text (ids, times). */
export function overrideText(v: unknown): string | undefined {
  return typeof v === 'number' ? String(v) : overrideString(v);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
