import { resolveConfigPath } from '../../core/paths.ts';
import { defineSourceType } from '../source-type.ts';
import { otlpSourceSchema } from './config.ts';

export const otlpSourceType = defineSourceType({
  type: 'otlp',
  schema: otlpSourceSchema,
  // grpc-js and protobufjs load only when an otlp source is configured (not for validate/eval).
  create: async (name, cfg, deps) => {
    const { OtlpSource } = await import('./otlp-source.ts');
    return new OtlpSource(name, { ...cfg, http: withTlsPaths(cfg.http, deps.baseDir), grpc: withTlsPaths(cfg.grpc, deps.baseDir) }, deps);
  },
});

/** TLS files named relative to the config file's directory. */
function withTlsPaths<T extends { tls?: { cert_file: string; key_file: string; client_ca_file?: string | undefined } | undefined } | false>(
  block: T,
  baseDir: string,
): T {
  if (block === false || !block.tls) return block;
  const { tls } = block;
  return {
    ...block,
    tls: {
      ...tls,
      cert_file: resolveConfigPath(baseDir, tls.cert_file),
      key_file: resolveConfigPath(baseDir, tls.key_file),
      ...(tls.client_ca_file ? { client_ca_file: resolveConfigPath(baseDir, tls.client_ca_file) } : {}),
    },
  };
}
