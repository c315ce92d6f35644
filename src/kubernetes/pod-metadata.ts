import type { Attributes } from '../model/log-record.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ApiClient } from './api-client.ts';
import { K8S_METRICS } from './metrics.ts';
import { NODE_NAME_ENV, type KubernetesConfig } from './config.ts';
import { inClusterEndpoint, kubeconfigEndpoint } from './endpoint.ts';
import { podResource, type PodInfo } from './pod.ts';
import { PodStore } from './pod-store.ts';
import { PodWatcher } from './pod-watcher.ts';

/** Pods whose wait already timed out, remembered so that their later records do not wait again. */
const MAX_GAVE_UP = 10_000;

/** What a record's resource says about its pod. */
export type PodKey = { uid: string } | { namespace: string; name: string };

export function podKeyOf(resource: Attributes): PodKey | undefined {
  const uid = resource['k8s.pod.uid'];
  if (typeof uid === 'string' && uid) return { uid };
  const namespace = resource['k8s.namespace.name'];
  const name = resource['k8s.pod.name'];
  return typeof namespace === 'string' && typeof name === 'string' && namespace && name ? { namespace, name } : undefined;
}

const keyText = (key: PodKey) => ('uid' in key ? key.uid : `${key.namespace}/${key.name}`);

/**
 * The pods of this node as the API describes them, for enriching records: a watched, bounded
 * cache, and the attributes a record of a pod gets.
 */
export class PodMetadata {
  readonly config: KubernetesConfig;
  readonly store: PodStore;
  readonly watcher: PodWatcher;
  private readonly metrics: Metrics;
  private readonly gaveUp = new Set<string>();
  /** The resource a pod's records share, per original resource object (one per file). */
  private readonly merged = new WeakMap<Attributes, { pod: PodInfo; resource: Attributes }>();

  private constructor(config: KubernetesConfig, client: ApiClient, nodeName: string, logger: Logger, metrics: Metrics) {
    this.config = config;
    this.metrics = metrics;
    this.store = new PodStore(config.max_pods, config.deleted_pod_ttl);
    this.watcher = new PodWatcher(client, this.store, { nodeName, select: config, logger, metrics });
  }

  /** Answers the service, or a one-line error (no node name, no credentials). */
  static create(
    config: KubernetesConfig,
    deps: { logger: Logger; metrics: Metrics; env?: NodeJS.ProcessEnv },
  ): { ok: true; pods: PodMetadata } | { ok: false; error: string } {
    const env = deps.env ?? process.env;
    const nodeName = config.node_name ?? env[NODE_NAME_ENV];
    if (!nodeName)
      return {
        ok: false,
        error: `kubernetes: no node name: set kubernetes.node_name or the ${NODE_NAME_ENV} environment variable (downward API, spec.nodeName)`,
      };
    const endpoint = config.kubeconfig ? kubeconfigEndpoint(config.kubeconfig) : inClusterEndpoint(env);
    if (!endpoint.ok) return endpoint;
    return {
      ok: true,
      pods: new PodMetadata(
        config,
        new ApiClient(endpoint.endpoint),
        nodeName,
        deps.logger.child({ component: 'kubernetes' }),
        deps.metrics,
      ),
    };
  }

  start(): void {
    this.watcher.start();
  }

  stop(): Promise<void> {
    return this.watcher.stop();
  }

  lookup(key: PodKey): PodInfo | undefined {
    return 'uid' in key ? this.store.get(key.uid) : this.store.getByName(key.namespace, key.name);
  }

  /**
   * Whether a record of this unknown pod should wait for it: once per pod (a pod never listed
   * does not stall every line), and not while the API is unreachable (nothing can arrive then,
   * and the source would stall once per new pod).
   */
  shouldWait(key: PodKey): boolean {
    return this.config.wait_for_pod > 0 && !this.watcher.unreachable && !this.gaveUp.has(keyText(key));
  }

  /** Waits (bounded by `wait_for_pod`) for the pod to be known; remembers a pod that never came. */
  async waitFor(key: PodKey, signal?: AbortSignal): Promise<void> {
    if (this.lookup(key) || !this.shouldWait(key)) return;
    // Only a uid can be waited on: a pod known by name has the uid in the store once it comes.
    const known = 'uid' in key ? await this.store.waitFor(key.uid, this.config.wait_for_pod, signal) : false;
    if (!known && !signal?.aborted) {
      if (this.gaveUp.size >= MAX_GAVE_UP) this.gaveUp.clear();
      this.gaveUp.add(keyText(key));
    }
  }

  /** The record's resource with the pod's attributes (the same object for every record of a file). */
  resourceFor(resource: Attributes, pod: PodInfo): Attributes {
    const hit = this.merged.get(resource);
    if (hit && hit.pod === pod) return hit.resource;
    const merged = podResource(resource, pod);
    this.merged.set(resource, { pod, resource: merged });
    return merged;
  }

  /** Counts a record that goes out without its pod's metadata. */
  missed(): void {
    this.metrics.inc(...K8S_METRICS.withoutMetadata);
  }
}
