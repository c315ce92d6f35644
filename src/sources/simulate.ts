import { kubernetesConfigSchema, type KubernetesConfig } from '../kubernetes/config.ts';
import { parsePod, type PodInfo } from '../kubernetes/pod.ts';
import type { LogRecord } from '../model/log-record.ts';
import { fileSourceSchema, type FileSourceConfig, type FormatName } from './file/config.ts';
import { FileLineReader } from './file/line-reader.ts';
import { podRecord } from './pod-enrichment.ts';

/** How `eval` and `test` present lines: as a file source would read them, optionally of a pod. */
export interface SimulatedInput {
  format?: FormatName | undefined;
  path?: string | undefined;
  /** A pod object as the API gives it (`kubectl get pod -o yaml`). */
  pod?: unknown;
}

/** Without a `kubernetes:` block every label and annotation is shown (there is no cardinality to bound in a dry run). */
const SHOW_ALL = kubernetesConfigSchema().parse({ labels: ['*'], annotations: ['*'] });
const DEFAULT_FILE = fileSourceSchema().parse({ type: 'file', include: ['/dev/null'] });

/** Whether the input asks for the file source's record model (otherwise lines are read as stdin reads them). */
export function simulatesFile(input: SimulatedInput): boolean {
  return input.format !== undefined || input.path !== undefined || input.pod !== undefined;
}

/** A pod document, checked; a one-line error when it is not a pod. */
export function simulatedPod(
  value: unknown,
  kubernetes: KubernetesConfig | undefined,
): { ok: true; pod: PodInfo } | { ok: false; error: string } {
  const pod = parsePod(value, kubernetes ?? SHOW_ALL);
  return pod ? { ok: true, pod } : { ok: false, error: 'not a pod: metadata.uid, metadata.name and metadata.namespace are required' };
}

/**
 * Lines in, records out, exactly as the agent makes them from a tailed file: the file source's
 * decoders and multiline settings (those of `fileConfig`, the source named, when it is a file
 * source), the path's attributes, and the pod's metadata as the `kubernetes:` block selects it.
 */
export class SimulatedLines {
  private readonly reader: FileLineReader;
  private readonly pod: PodInfo | undefined;
  private readonly fileConfig: FileSourceConfig;
  private readonly kubernetes: KubernetesConfig | undefined;

  constructor(
    input: { format?: FormatName | undefined; path?: string | undefined; pod?: PodInfo | undefined },
    opts: { fileConfig?: FileSourceConfig | undefined; kubernetes?: KubernetesConfig | undefined; origin: string },
  ) {
    this.fileConfig = opts.fileConfig ?? DEFAULT_FILE;
    this.kubernetes = opts.kubernetes;
    this.pod = input.pod;
    this.reader = new FileLineReader(this.fileConfig, {
      ...(input.format ? { format: input.format } : {}),
      ...(input.path ? { path: input.path } : {}),
      origin: opts.origin,
    });
  }

  push(line: string): LogRecord[] {
    return this.withPod(this.reader.push(line));
  }

  end(): LogRecord[] {
    return this.withPod(this.reader.end());
  }

  private withPod(records: LogRecord[]): LogRecord[] {
    const pod = this.pod;
    if (!pod) return records;
    return records.flatMap((r) => {
      const e = podRecord(pod, r, { honor: this.kubernetes?.honor_annotations ?? false, json: this.fileConfig.json });
      return e.kind === 'ready' ? [e.record] : [];
    });
  }
}
