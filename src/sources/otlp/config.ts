import { z } from 'zod';
import { byteSize } from '../../core/byte-size.ts';
import { duration } from '../../core/duration.ts';
import { listenAddress } from '../../core/listen-address.ts';

function tlsSchema() {
  return z.strictObject({
    /** PEM certificate chain the receiver presents. */
    cert_file: z.string().min(1),
    /** PEM private key of that certificate. */
    key_file: z.string().min(1),
    /** PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS). */
    client_ca_file: z.string().min(1).optional(),
  });
}

function httpSchema() {
  return z.strictObject({
    listen: listenAddress.prefault('127.0.0.1:4318'),
    /** Largest request body accepted, measured after gzip decompression (413 beyond). */
    max_body: byteSize.prefault('16MiB'),
    /** When set, requests must carry `Authorization: Bearer <token>` (401 otherwise). */
    bearer_token: z.string().min(1).optional(),
    tls: tlsSchema().optional(),
  });
}

function grpcSchema() {
  return z.strictObject({
    listen: listenAddress.prefault('127.0.0.1:4317'),
    /** Largest message accepted, measured after decompression (RESOURCE_EXHAUSTED beyond). */
    max_receive_message_length: byteSize.prefault('16MiB'),
    /** When set, calls must carry `authorization: Bearer <token>` metadata (UNAUTHENTICATED otherwise). */
    bearer_token: z.string().min(1).optional(),
    tls: tlsSchema().optional(),
  });
}

/**
 * A receiver block that may be `false` (off) or omitted (on, defaults). Not a z.union: a union
 * reports "Invalid input" for a typo inside the block, this reports the typo with its path.
 */
function receiver<S extends z.ZodType>(schema: S) {
  return z
    .unknown()
    .transform((value, ctx): z.output<S> | false => {
      if (value === false) return false;
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    })
    .prefault({});
}

/**
 * `type: otlp`. Both receivers are on, on loopback, unless configured otherwise; `false`
 * turns one off. Listening beyond loopback (`0.0.0.0:4318`) is always an explicit choice.
 */
export function otlpSourceSchema() {
  return z
    .strictObject({
      type: z.literal('otlp'),
      http: receiver(httpSchema()),
      grpc: receiver(grpcSchema()),
      /**
       * Request bodies held at once by both receivers together (HTTP: as declared by
       * Content-Length or as received; gRPC: each message). Beyond it new requests get
       * 429/RESOURCE_EXHAUSTED with Retry-After; an eighth of it is kept for bodies under 1 MiB.
       */
      max_inflight_bytes: byteSize.prefault('64MiB'),
      /**
       * Log records in one request; more is answered 413 / RESOURCE_EXHAUSTED (without RetryInfo).
       * The events of a request are committed in one transaction, which does not yield: this
       * bounds that pause (~0.1 s for 20,000 matching records) and the memory it holds.
       */
      max_records: z.number().int().min(1).default(20_000),
      /** Time for a request's body (HTTP) or message (gRPC) to arrive once its headers have: 408 / DEADLINE_EXCEEDED after. */
      request_timeout: duration.pipe(z.number().min(100)).prefault('30s'),
    })
    .refine((cfg) => cfg.http !== false || cfg.grpc !== false, { message: 'at least one of http and grpc must be enabled' })
    .superRefine((cfg, ctx) => {
      const largest = Math.max(cfg.http === false ? 0 : cfg.http.max_body, cfg.grpc === false ? 0 : cfg.grpc.max_receive_message_length);
      if (cfg.max_inflight_bytes < largest) {
        ctx.addIssue({
          code: 'custom',
          path: ['max_inflight_bytes'],
          message: `must be at least the largest request accepted (max_body / max_receive_message_length: ${largest} bytes)`,
        });
      }
    });
}

export type OtlpSourceConfig = z.output<ReturnType<typeof otlpSourceSchema>>;
