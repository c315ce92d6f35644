import { defineSinkType } from '../sink-type.ts';
import { checkCesStatic, huaweiCesSinkSchema } from './config.ts';

export const huaweiCesSinkType = defineSinkType({
  type: 'huawei_ces',
  schema: huaweiCesSinkSchema,
  provider: 'huawei_ces',
  checkStatic: checkCesStatic,
  create: async (name, cfg, deps) => new (await import('./ces-sink.ts')).CesSink(name, cfg, deps),
});
