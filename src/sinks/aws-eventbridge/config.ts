import { z } from 'zod';
import { byteSize } from '../../core/byte-size.ts';
import { sinkCommonShape } from '../common-options.ts';
import type { StaticEventFields, StaticProblem } from '../sink-type.ts';
import { REQUEST_BYTES_AWS_PARTITION, RESERVED_SOURCE_PREFIX } from './limits.ts';
import { eventBusName } from './overrides.ts';

export function awsEventBridgeSinkSchema() {
  return z.strictObject({
    type: z.literal('aws_eventbridge'),
    region: z.string().min(1).optional(),
    /** VPC endpoint, a proxy, or the emulator. */
    endpoint: z.url().optional(),
    /** Event bus name or ARN; the account's `default` bus when absent. */
    event_bus: eventBusName().optional(),
    /** Static credentials (tests, emulator); otherwise the standard AWS credential chain. */
    credentials: z
      .strictObject({
        access_key_id: z.string().min(1),
        secret_access_key: z.string().min(1),
        session_token: z.string().min(1).optional(),
      })
      .optional(),
    /**
     * Request byte limit by the entry-size rule. Unset: 1 MB in the `aws` partition, 256 KB in
     * the others (China, GovCloud, isolated regions), by the region.
     */
    max_request_bytes: byteSize.pipe(z.number().int().min(1024).max(REQUEST_BYTES_AWS_PARTITION)).optional(),
    ...sinkCommonShape(),
  });
}
export type AwsEventBridgeSinkConfig = z.output<ReturnType<typeof awsEventBridgeSinkSchema>>;

/** What a rule fixes at load that PutEvents can never accept: a source in AWS's reserved `aws.` namespace. */
export function checkEventBridgeStatic(fields: StaticEventFields): StaticProblem[] {
  const override = fields.overrides.source;
  const source = typeof override === 'string' ? override : fields.source;
  if (source?.startsWith(RESERVED_SOURCE_PREFIX)) {
    return [
      {
        path: typeof override === 'string' ? ['aws', 'source'] : ['source'],
        message: `source "${source}" is in the namespace EventBridge reserves for AWS services (aws.*): every event would be refused with NotAuthorizedForSourceException`,
      },
    ];
  }
  return [];
}
