import { z } from 'zod';
import { duration } from '../core/duration.ts';

/** A label or annotation key to copy, or a prefix ending in `*` (`app.kubernetes.io/*`, or `*` for all). */
function keyPattern() {
  return z
    .string()
    .min(1)
    .regex(/^[^*]*\*?$/, 'a key, or a prefix ending in * (one * at the end)');
}

/**
 * `kubernetes:` — pod metadata from the API server for records of this node's pods. In a pod
 * the service account's token and CA are used; `kubeconfig` points elsewhere (tests, outside a
 * cluster).
 */
export function kubernetesConfigSchema() {
  return z.strictObject({
    /** A kubeconfig file (its current context); absent: the in-cluster service account. */
    kubeconfig: z.string().min(1).optional(),
    /** The node whose pods are watched; default: the `K8S_NODE_NAME` environment variable (downward API). */
    node_name: z.string().min(1).optional(),
    /** Pod label keys copied to `k8s.pod.labels.<key>` (opt-in: each distinct value is a new series downstream). */
    labels: z.array(keyPattern()).default([]),
    /** Pod annotation keys copied to `k8s.pod.annotations.<key>`. */
    annotations: z.array(keyPattern()).default([]),
    /** Honour `log2events.io/exclude` and `log2events.io/format` pod annotations. */
    honor_annotations: z.boolean().default(false),
    /** How long a record of a pod not yet known waits for its metadata before it goes without. */
    wait_for_pod: duration.pipe(z.number().min(0).max(60_000)).default(2000),
    /** Most pods held (a node runs ~110): the cache never grows past it. */
    max_pods: z.number().int().min(10).max(1_000_000).default(5000),
    /** How long a deleted pod's metadata is kept (its files are still drained). */
    deleted_pod_ttl: duration.default(300_000),
  });
}

export type KubernetesConfig = z.output<ReturnType<typeof kubernetesConfigSchema>>;

/** Where the in-cluster service account's files are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The environment variable the DaemonSet sets from `spec.nodeName` (downward API). */
export const NODE_NAME_ENV = 'K8S_NODE_NAME';
