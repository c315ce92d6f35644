import { registerSourceType } from '../registry.ts';
import { otlpSourceSchema } from './config.ts';
import { OtlpSource } from './otlp-source.ts';

export { otlpSourceSchema };

registerSourceType('otlp', {
  schema: otlpSourceSchema,
  create: (name, cfg, deps) => new OtlpSource(name, cfg, deps),
});
