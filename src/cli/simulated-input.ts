import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Config } from '../agent/load-config.ts';
import { FORMATS, type FileSourceConfig, type FormatName } from '../sources/file/config.ts';
import { simulatedPod, SimulatedLines } from '../sources/simulate.ts';
import type { PodInfo } from '../kubernetes/pod.ts';
import { UsageError } from './command.ts';

/** The file source config of a source name, when it is a file source (its decoders and multiline apply). */
export function fileSourceConfig(config: Config, source: string): FileSourceConfig | undefined {
  const sc = config.sources.get(source);
  return sc?.type === 'file' ? (sc.options as FileSourceConfig) : undefined;
}

export function formatFlag(value: string | undefined): FormatName | undefined {
  if (value === undefined) return undefined;
  if (!(FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format: one of ${FORMATS.join(', ')} (got "${value}")`);
  return value as FormatName;
}

/** A pod file (`kubectl get pod NAME -o yaml`, or JSON). */
export function podFile(path: string | undefined, config: Config): PodInfo | undefined {
  if (path === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--pod ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const pod = simulatedPod(doc, config.kubernetes);
  if (!pod.ok) throw new UsageError(`--pod ${path}: ${pod.error}`);
  return pod.pod;
}

/** Lines read as the named source (a file source's settings when it is one) would read them. */
export function simulatedLines(
  config: Config,
  source: string,
  input: { format?: FormatName | undefined; path?: string | undefined; pod?: PodInfo | undefined },
  origin: string,
): SimulatedLines {
  return new SimulatedLines(input, { fileConfig: fileSourceConfig(config, source), kubernetes: config.kubernetes, origin });
}
