import { describe, expect, it } from 'vitest';
import { deliveryConfigSchema } from '../../src/delivery/options.ts';
import { retryOptionsSchema, sinkCommonShape } from '../../src/sinks/common-options.ts';
import { z } from 'zod';

const SPOOL_DEFAULTS = {
  max_events: 100_000,
  max_bytes: 256 * 1024 * 1024,
  full_policy: 'block',
  synchronous: 'FULL',
  hold: 2000,
  wal_max_bytes: 64 * 1024 * 1024,
};
const DELIVERY_DEFAULTS = { spool: SPOOL_DEFAULTS, shutdown_timeout: 25_000, health_log_interval: 60_000 };
const RETRY_DEFAULTS = { initial: 500, max: 30_000, multiplier: 2, max_elapsed: 3_600_000 };

describe('defaults of nested blocks', () => {
  it.each([
    ['no delivery block', undefined, DELIVERY_DEFAULTS],
    ['an empty delivery block', {}, DELIVERY_DEFAULTS],
    ['an empty spool block', { spool: {} }, DELIVERY_DEFAULTS],
    ['one spool key', { spool: { hold: '0s' } }, { ...DELIVERY_DEFAULTS, spool: { ...SPOOL_DEFAULTS, hold: 0 } }],
    ['one delivery key', { shutdown_timeout: '5s' }, { ...DELIVERY_DEFAULTS, shutdown_timeout: 5000 }],
  ])('delivery: %s', (_, input, expected) => {
    expect(deliveryConfigSchema().parse(input)).toEqual(expected);
  });

  const common = z.object(sinkCommonShape());
  it.each([
    ['no retry or batch block', {}, { retry: RETRY_DEFAULTS, batch: { linger: 200 } }],
    ['one retry key', { retry: { initial: '1s' } }, { retry: { ...RETRY_DEFAULTS, initial: 1000 }, batch: { linger: 200 } }],
    ['one batch key', { batch: { max_entries: 10 } }, { retry: RETRY_DEFAULTS, batch: { max_entries: 10, linger: 200 } }],
  ])('sink options: %s', (_, input, expected) => {
    expect(common.parse(input)).toMatchObject(expected);
  });

  it('retry alone, absent, takes every key default', () => {
    expect(retryOptionsSchema().parse(undefined)).toEqual(RETRY_DEFAULTS);
  });
});
