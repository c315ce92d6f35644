import { z } from 'zod';

/**
 * Building blocks for a provider's override schema (the `aws:`, `alibaba:`, `huawei_ces:`,
 * `huawei_aom:` blocks of a rule's event). One schema serves twice: at load it checks the literal
 * values of a rule (a misspelled key or a wrong value is an error at its line), and when an event
 * is built it converts the rendered values (templates render text) to the wire type.
 */

/** A number, or a template's text holding one (`"{{attributes.retries}}"` renders "3"). */
export const wireNumber = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a number')
    .transform(Number),
]);

/** A non-negative integer (a count, a timeout in ms), literal or rendered. */
export const wireInteger = wireNumber.pipe(z.number().int('expected a whole number').min(0));

/** A time: ms since the epoch (digits, or seconds if it has 10 or fewer digits), or an ISO-8601 date. */
export const wireTimeMs = z.union([z.number(), z.string().trim()]).transform((v, ctx) => {
  const ms = toEpochMs(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${String(v).slice(0, 40)}" is not a time (epoch ms or ISO-8601)` });
    return z.NEVER;
  }
  return ms;
});

function toEpochMs(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v < 1e11 ? v * 1000 : v) : undefined;
  if (/^\d+$/.test(v)) return toEpochMs(Number(v));
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Text; a literal number is taken as its decimal text (ids written without quotes). */
export const wireText = z.union([z.string(), z.number().transform(String)]);

/** A map of text values (AOM annotations, extra detail keys): numbers and booleans become text. */
export const wireTextMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

export type OverrideSchema = z.ZodObject<z.ZodRawShape>;

export type OverrideParse<S extends OverrideSchema> = { ok: true; value: z.output<S> } | { ok: false; message: string };

/**
 * A rendered override block → typed values, or one message naming every field that is wrong
 * (`huawei_aom.timeout: expected a number`). Unknown keys were refused at load.
 */
export function parseOverrides<S extends OverrideSchema>(
  provider: string,
  schema: S,
  block: Record<string, unknown> | undefined,
): OverrideParse<S> {
  const r = schema.safeParse(block ?? {});
  if (r.success) return { ok: true, value: r.data };
  const message = r.error.issues
    .map((i) => `${[provider, ...i.path.map(String)].join('.')}: ${i.message.replace(/^Invalid input: /, '')}`)
    .join('; ');
  return { ok: false, message };
}

/** True when a rule's value (or any value inside it) is a template, known only per record. */
export function isTemplated(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(isTemplated);
  if (value !== null && typeof value === 'object') return Object.values(value).some(isTemplated);
  return false;
}
