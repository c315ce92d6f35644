import { z } from 'zod';
import { defineSourceType } from '../source-type.ts';
import type { Source } from '../source.ts';

/**
 * `type: sdk` names the records an application hands to the in-process exporter
 * (`Log2EventsLogExporter` with `sourceName`), so rules can say `from: [that-name]`. It reads
 * nothing by itself: the exporter pushes records through the agent.
 */
export function sdkSourceSchema() {
  return z.strictObject({ type: z.literal('sdk') });
}

export const sdkSourceType = defineSourceType({
  type: 'sdk',
  schema: sdkSourceSchema,
  create: (name): Source => ({
    name,
    type: 'sdk',
    async start() {},
    async stop() {},
  }),
});
