import { fileSourceType } from '../sources/file/index.ts';
import { otlpSourceType } from '../sources/otlp/index.ts';
import { sdkSourceType } from '../sources/sdk/index.ts';
import { stdinSourceType } from '../sources/stdin/index.ts';
import { alibabaCmsSinkType } from '../sinks/alibaba-cms/index.ts';
import { awsEventBridgeSinkType } from '../sinks/aws-eventbridge/index.ts';
import { fileSinkType } from '../sinks/file/index.ts';
import { httpSinkType } from '../sinks/http/index.ts';
import { huaweiAomSinkType } from '../sinks/huawei-aom/index.ts';
import { huaweiCesSinkType } from '../sinks/huawei-ces/index.ts';
import { stdoutSinkType } from '../sinks/stdout/index.ts';
import type { ComponentType } from '../core/component.ts';
import type { BoundSink, SinkKind } from '../sinks/sink-type.ts';
import type { BoundSource } from '../sources/source-type.ts';

/**
 * The source and sink types a config may name, each with its schema and factory (the built-in
 * ones are below). `Src` and `Snk` are what an entry of `sources:` and `sinks:` binds to: for
 * the built-in table, unions discriminated by `type`.
 */
export interface ComponentTable<Src extends BoundSource, Snk extends BoundSink> {
  readonly sources: readonly ComponentType<string, Src>[];
  readonly sinks: readonly SinkKind<Snk>[];
}

/**
 * The built-in source and sink types: the one list of what a config's `type:` may name. Each
 * entry is a schema and a factory; a factory imports its implementation when it is first used,
 * so a config without a cloud sink never loads that provider's code (the AWS SDK, grpc-js).
 * A new component is added here, nowhere else.
 */
export const BUILTIN_SOURCES = [fileSourceType, otlpSourceType, stdinSourceType, sdkSourceType] as const;

export const BUILTIN_SINKS = [
  stdoutSinkType,
  fileSinkType,
  httpSinkType,
  awsEventBridgeSinkType,
  huaweiCesSinkType,
  huaweiAomSinkType,
  alibabaCmsSinkType,
] as const;

type Bound<Types extends readonly { bind(...args: never[]): unknown }[]> = NonNullable<ReturnType<Types[number]['bind']>>;

/** A configured source of a built-in type: `type` tells which, and narrows `options`. */
export type SourceConfig = Bound<typeof BUILTIN_SOURCES>;
/** A configured sink of a built-in type: `type` tells which, and narrows `options`. */
export type SinkConfig = Bound<typeof BUILTIN_SINKS>;

export const BUILTIN_COMPONENTS: ComponentTable<SourceConfig, SinkConfig> = { sources: BUILTIN_SOURCES, sinks: BUILTIN_SINKS };
