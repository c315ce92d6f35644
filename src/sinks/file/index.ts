import { z } from 'zod';
import { sinkCommonShape } from '../common-options.ts';
import { defineSinkType } from '../sink-type.ts';
import { FileSink } from './file-sink.ts';
import { resolveConfigPath } from '../../core/paths.ts';

export function fileSinkSchema() {
  return z.strictObject({
    type: z.literal('file'),
    /** JSON lines, one event per line; a relative path is relative to the config file's directory. */
    path: z.string().min(1),
    /** fsync after every batch, so a delivered event survives a power loss. */
    fsync: z.boolean().default(true),
    ...sinkCommonShape(),
  });
}

export const fileSinkType = defineSinkType({
  type: 'file',
  schema: fileSinkSchema,
  create: (name, cfg, deps) => new FileSink(name, resolveConfigPath(deps.baseDir, cfg.path), cfg.fsync),
});
