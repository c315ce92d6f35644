import { otlpSourceSchema } from '../../src/sources/otlp/config.ts';
import { OtlpSource } from '../../src/sources/otlp/otlp-source.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { fakeContext } from './fake-context.ts';

/** Starts an OTLP source on ephemeral loopback ports with a fake spool and rules. */
export async function startReceiver(config: Record<string, unknown> = {}) {
  const cfg = otlpSourceSchema().parse({
    type: 'otlp',
    http: { listen: '127.0.0.1:0' },
    grpc: { listen: '127.0.0.1:0' },
    ...config,
  });
  const metrics = new Metrics();
  const source = new OtlpSource('otlp', cfg, { logger: silentLogger, metrics, stateDir: '/nonexistent', baseDir: process.cwd() });
  const fake = fakeContext();
  await source.start(fake.ctx);
  const { http, grpc } = source.addresses();
  return {
    ...fake,
    source,
    metrics,
    httpPort: http?.port ?? 0,
    grpcPort: grpc?.port ?? 0,
    httpUrl: `http://127.0.0.1:${http?.port ?? 0}/v1/logs`,
    grpcUrl: `http://127.0.0.1:${grpc?.port ?? 0}`,
    stop: () => source.stop(),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
