import { z } from 'zod';
import { byteSize } from '../core/byte-size.ts';
import { duration } from '../core/duration.ts';

/** The top-level `delivery:` block. */
export function spoolOptionsSchema() {
  return (
    z
      .strictObject({
        max_events: z.number().int().min(1).default(100_000),
        max_bytes: byteSize.default(256 * 1024 * 1024),
        full_policy: z.enum(['block', 'drop_oldest']).default('block'),
        /**
         * SQLite `synchronous` for spool commits. FULL: a committed event survives power loss.
         * NORMAL: it survives a process crash (kill -9) but the last commits may be lost on power
         * loss; commits are cheaper. Delivery outcomes are never fsynced on their own (a power loss
         * can only make the latest deliveries happen again).
         */
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
        /**
         * How long a file's events may be delivered from memory before they are spooled (their
         * offset is written once they are delivered; see delivery/ack-tracker.ts). 0: every event
         * is spooled, with the offset, before delivery.
         */
        hold: duration.default(2000),
        /**
         * The state store's write-ahead log is checkpointed into the database and cut back once it
         * holds this much (SQLite's automatic checkpoint, and the agent's own when readers or a full
         * disk held that one back).
         */
        wal_max_bytes: byteSize
          .pipe(
            z
              .number()
              .int()
              .min(1 << 20),
          )
          .default(64 * 1024 * 1024),
      })
      // Each key states its default once; `prefault` runs an absent block through them.
      .prefault({})
  );
}

export function deliveryConfigSchema() {
  return z
    .strictObject({
      spool: spoolOptionsSchema(),
      shutdown_timeout: duration.default(25_000),
      /** At most one log line per failing sink per interval (after the first warning). */
      health_log_interval: duration.default(60_000),
    })
    .prefault({});
}
export type DeliveryConfig = z.output<ReturnType<typeof deliveryConfigSchema>>;
export type SpoolOptions = z.output<ReturnType<typeof spoolOptionsSchema>>;
