import { z } from 'zod';
import { registerSourceType } from '../registry.ts';
import { StdinSource } from './stdin-source.ts';

export const stdinSourceSchema = z.strictObject({
  type: z.literal('stdin'),
  /** Lines longer than this are cut (and counted), never dropped. */
  max_line_bytes: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
});

registerSourceType('stdin', {
  schema: stdinSourceSchema,
  create: (name, cfg, deps) => new StdinSource(name, cfg, deps, process.stdin),
});
