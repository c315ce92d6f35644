import { z } from 'zod';
import { byteSize } from '../../config/duration.ts';
import { sinkCommonShape } from '../../delivery/options.ts';
import { registerSinkType } from '../registry.ts';

/** 256 KB: the PutEvents request limit everywhere; accounts with the 1 MB limit may raise it. */
export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;

export const awsEventBridgeSinkSchema = z.strictObject({
  type: z.literal('aws_eventbridge'),
  region: z.string().min(1).optional(),
  /** VPC endpoint, a proxy, or the emulator. */
  endpoint: z.url().optional(),
  /** Event bus name or ARN; `default` when absent. */
  event_bus: z.string().min(1).optional(),
  /** Static credentials (tests, emulator); otherwise the standard AWS credential chain. */
  credentials: z
    .strictObject({
      access_key_id: z.string().min(1),
      secret_access_key: z.string().min(1),
      session_token: z.string().min(1).optional(),
    })
    .optional(),
  /** Request byte limit by the entry-size rule (PutEvents: 256 KB, or 1 MB where the account has it). */
  max_request_bytes: byteSize.pipe(z.number().int().min(1024).max(1024 * 1024)).default(DEFAULT_MAX_REQUEST_BYTES),
  ...sinkCommonShape,
});
export type AwsEventBridgeSinkConfig = z.output<typeof awsEventBridgeSinkSchema>;

registerSinkType('aws_eventbridge', {
  schema: awsEventBridgeSinkSchema,
  // The AWS SDK is heavy: load it only when an EventBridge sink is configured.
  create: async (name, cfg, deps) => new (await import('./eventbridge-sink.ts')).EventBridgeSink(name, cfg, deps),
});
