import { defineSinkType } from '../sink-type.ts';
import { HttpSink, httpSinkSchema } from './http-sink.ts';

export const httpSinkType = defineSinkType({
  type: 'http',
  schema: httpSinkSchema,
  create: (name, config) => new HttpSink(name, config),
});
