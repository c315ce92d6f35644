import { resolveConfigGlob } from '../../core/paths.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { defineSourceType } from '../source-type.ts';
import type { Source, SourceContext } from '../source.ts';
import { fileSourceSchema, type FileSourceConfig } from './config.ts';
import { Tailer } from './tailer.ts';
import type { PodMetadata } from '../../kubernetes/pod-metadata.ts';
import { withPodMetadata } from '../pod-enrichment.ts';

/** The `file` source: tails files matched by globs, Kubernetes container logs included. */
export class FileSource implements Source {
  readonly name: string;
  readonly type = 'file';
  private readonly config: FileSourceConfig;
  private readonly metrics: Metrics;
  private readonly pods: PodMetadata | undefined;
  private tailer: Tailer | undefined;

  constructor(name: string, config: FileSourceConfig, metrics: Metrics, pods?: PodMetadata) {
    this.name = name;
    this.config = config;
    this.metrics = metrics;
    this.pods = pods;
  }

  async start(ctx: SourceContext): Promise<void> {
    // Records of a pod get its metadata between the tailer and the rules (a pod not known yet is waited for, briefly).
    const context = this.pods ? withPodMetadata(ctx, this.pods, { wait: true, json: this.config.json }) : ctx;
    this.tailer = new Tailer(this.name, this.config, context, this.metrics);
    await this.tailer.start();
  }

  async drained(): Promise<void> {
    await this.tailer?.drained();
  }

  async stop(): Promise<void> {
    await this.tailer?.stop();
  }
}

export const fileSourceType = defineSourceType({
  type: 'file',
  schema: fileSourceSchema,
  create: (name, config, deps) =>
    new FileSource(
      name,
      {
        ...config,
        include: config.include.map((p) => resolveConfigGlob(deps.baseDir, p)),
        exclude: config.exclude.map((p) => resolveConfigGlob(deps.baseDir, p)),
      },
      deps.metrics,
      deps.pods,
    ),
});
