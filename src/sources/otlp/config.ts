import { z } from 'zod';
import { byteSize, listenAddress } from '../../config/duration.ts';

const tlsSchema = z.strictObject({
  /** PEM certificate chain the receiver presents. */
  cert_file: z.string().min(1),
  /** PEM private key of that certificate. */
  key_file: z.string().min(1),
  /** PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS). */
  client_ca_file: z.string().min(1).optional(),
});

const httpSchema = z.strictObject({
  listen: listenAddress.prefault('127.0.0.1:4318'),
  /** Largest request body accepted, measured after gzip decompression (413 beyond). */
  max_body: byteSize.prefault('16MiB'),
  /** When set, requests must carry `Authorization: Bearer <token>` (401 otherwise). */
  bearer_token: z.string().min(1).optional(),
  tls: tlsSchema.optional(),
});

const grpcSchema = z.strictObject({
  listen: listenAddress.prefault('127.0.0.1:4317'),
  /** Largest message accepted, measured after decompression (RESOURCE_EXHAUSTED beyond). */
  max_receive_message_length: byteSize.prefault('16MiB'),
  /** When set, calls must carry `authorization: Bearer <token>` metadata (UNAUTHENTICATED otherwise). */
  bearer_token: z.string().min(1).optional(),
  tls: tlsSchema.optional(),
});

/**
 * A receiver block that may be `false` (off) or omitted (on, defaults). Not a z.union: a union
 * reports "Invalid input" for a typo inside the block, this reports the typo with its path.
 */
function receiver<S extends z.ZodType>(schema: S) {
  return z.unknown().transform((value, ctx): z.output<S> | false => {
    if (value === false) return false;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }).prefault({});
}

/**
 * `type: otlp`. Both receivers are on, on loopback, unless configured otherwise; `false`
 * turns one off. Listening beyond loopback (`0.0.0.0:4318`) is always an explicit choice.
 */
export const otlpSourceSchema = z
  .strictObject({
    type: z.literal('otlp'),
    http: receiver(httpSchema),
    grpc: receiver(grpcSchema),
  })
  .refine((cfg) => cfg.http !== false || cfg.grpc !== false, { message: 'at least one of http and grpc must be enabled' });

export type OtlpSourceConfig = z.output<typeof otlpSourceSchema>;
