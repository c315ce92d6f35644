import { defineSinkType } from '../sink-type.ts';
import { awsEventBridgeSinkSchema, checkEventBridgeStatic } from './config.ts';

export const awsEventBridgeSinkType = defineSinkType({
  type: 'aws_eventbridge',
  schema: awsEventBridgeSinkSchema,
  provider: 'aws',
  checkStatic: checkEventBridgeStatic,
  // The AWS SDK is heavy: load it only when an EventBridge sink is configured.
  create: async (name, cfg, deps) => (await import('./eventbridge-sink.ts')).createEventBridgeSink(name, cfg, deps),
});
