import { z } from 'zod';
import { listenAddress } from '../core/listen-address.ts';
import { deliveryConfigSchema } from '../delivery/options.ts';
import { ruleSchema, ruleTestSchema } from '../rules/schema.ts';
import { kubernetesConfigSchema } from '../kubernetes/config.ts';

/**
 * The top level of a config file. `sources` and `sinks` are maps whose entries are validated by
 * the schema of the type they name in the component table (agent/components.ts).
 */
export function topLevelSchema() {
  return z.strictObject({
    state_dir: z.string().min(1).default('./.log2events'),
    log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    admin: z
      .strictObject({
        listen: listenAddress.optional(),
      })
      .default({}),
    delivery: deliveryConfigSchema(),
    /** Pod metadata from the Kubernetes API (see kubernetes/config.ts). */
    kubernetes: kubernetesConfigSchema().optional(),
    sources: z.record(z.string(), z.unknown()).default({}),
    sinks: z.record(z.string(), z.unknown()).default({}),
    rules: z.array(z.unknown()).default([]),
    tests: z.array(z.unknown()).default([]),
  });
}

export { ruleSchema, ruleTestSchema };
