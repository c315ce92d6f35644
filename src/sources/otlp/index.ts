import { registerSourceType } from '../registry.ts';
import { otlpSourceSchema } from './config.ts';

export { otlpSourceSchema };

registerSourceType('otlp', {
  schema: otlpSourceSchema,
  // grpc-js and protobufjs load only when an otlp source is configured (not for validate/eval).
  create: async (name, cfg, deps) => {
    const { OtlpSource } = await import('./otlp-source.ts');
    return new OtlpSource(name, cfg, deps);
  },
});
