import { defineSinkType } from '../sink-type.ts';
import { huaweiAomSinkSchema } from './config.ts';

export const huaweiAomSinkType = defineSinkType({
  type: 'huawei_aom',
  schema: huaweiAomSinkSchema,
  provider: 'huawei_aom',
  create: async (name, cfg, deps) => new (await import('./aom-sink.ts')).AomSink(name, cfg, deps),
});
