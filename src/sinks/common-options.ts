import { z } from 'zod';
import { byteSize } from '../core/byte-size.ts';
import { duration } from '../core/duration.ts';

/**
 * Delivery options every sink accepts next to its own keys. Defaults live here, once; a sink
 * narrows `batch` to its provider's limits through `SinkLimits`. The delivery engine reads them;
 * they live with the sinks, whose schemas spread `sinkCommonShape()`, so that sinks never import
 * the layer that drives them.
 */
export function retryOptionsSchema() {
  return z
    .strictObject({
      initial: duration.default(500),
      max: duration.default(30_000),
      multiplier: z.number().min(1).default(2),
      /** After this long since an event's first attempt it goes to dead letters. */
      max_elapsed: duration.default(3_600_000),
    })
    .prefault({});
}

export function concurrencySchema() {
  return z.union([
    z.number().int().min(1).max(256),
    z.literal('adaptive'),
    z.strictObject({
      adaptive: z.strictObject({
        min: z.number().int().min(1).default(1),
        max: z.number().int().min(1).max(256).default(16),
        initial: z.number().int().min(1).optional(),
      }),
    }),
  ]);
}

export function sinkCommonShape() {
  return {
    batch: z
      .strictObject({
        max_entries: z.number().int().min(1).optional(),
        max_bytes: byteSize.optional(),
        linger: duration.default(200),
      })
      .prefault({}),
    concurrency: concurrencySchema().default(4),
    timeout: duration.default(10_000),
    /** Requests per second, at most. */
    rate_limit: z.number().positive().optional(),
    retry: retryOptionsSchema(),
    /**
     * Cloud sinks: prove the endpoint and credentials with the provider's harmless read call when
     * the agent starts (a warning if it fails). Off for credentials allowed to send and nothing else.
     */
    check_at_start: z.boolean().default(true),
  };
}

export type SinkCommonOptions = z.output<z.ZodObject<ReturnType<typeof sinkCommonShape>>>;
export type RetryOptions = z.output<ReturnType<typeof retryOptionsSchema>>;
