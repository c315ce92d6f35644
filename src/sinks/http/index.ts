import { registerSinkType } from '../registry.ts';
import { HttpSink, httpSinkSchema } from './http-sink.ts';

registerSinkType('http', {
  schema: httpSinkSchema,
  create: (name, config) => new HttpSink(name, config),
});
