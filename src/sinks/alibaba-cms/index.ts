import { defineSinkType } from '../sink-type.ts';
import { alibabaCmsSinkSchema, cmsCheckStatic } from './config.ts';

export const alibabaCmsSinkType = defineSinkType({
  type: 'alibaba_cms',
  schema: alibabaCmsSinkSchema,
  provider: 'alibaba',
  checkStatic: cmsCheckStatic,
  create: async (name, cfg, deps) => new (await import('./cms-sink.ts')).CmsSink(name, cfg, deps),
});
