import { defineSourceType } from '../source-type.ts';
import { stdinSourceSchema } from './config.ts';
import { StdinSource } from './stdin-source.ts';

export const stdinSourceType = defineSourceType({
  type: 'stdin',
  schema: stdinSourceSchema,
  create: (name, cfg, deps) => new StdinSource(name, cfg, deps, process.stdin),
});
