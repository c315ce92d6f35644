import { z } from 'zod';

export function stdinSourceSchema() {
  return z.strictObject({
    type: z.literal('stdin'),
    /** Lines longer than this are cut (and counted), never dropped. */
    max_line_bytes: z
      .number()
      .int()
      .min(1)
      .default(1024 * 1024),
  });
}
export type StdinSourceConfig = z.output<ReturnType<typeof stdinSourceSchema>>;
