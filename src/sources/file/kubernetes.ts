import type { Attributes } from '../../model/log-record.ts';

// /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
const PODS = /\/pods\/([^/_]+)_([^/_]+)_([^/_]+)\/([^/]+)\/[^/]+\.log(?:\.[^/]*)?$/;
// /var/log/containers/<pod>_<namespace>_<container>-<container id>.log
const CONTAINERS = /\/containers\/([^/_]+)_([^/_]+)_(.+)-([0-9a-f]{64})\.log$/;

/** What each path layout's groups are; the pods layout goes last, its names win. */
const LAYOUTS: readonly { pattern: RegExp; keys: readonly string[] }[] = [
  { pattern: CONTAINERS, keys: ['k8s.pod.name', 'k8s.namespace.name', 'k8s.container.name', 'container.id'] },
  { pattern: PODS, keys: ['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.container.name'] },
];

/**
 * Kubernetes resource attributes from a log path (and the path a symlink points to, which for
 * `/var/log/containers` links is the pods path that carries the pod uid).
 */
export function kubernetesResource(path: string, target?: string): Attributes {
  const resource: Attributes = {};
  for (const { pattern, keys } of LAYOUTS) {
    const m = pattern.exec(path) ?? (target ? pattern.exec(target) : null);
    if (!m) continue;
    for (const [i, key] of keys.entries()) {
      const value = m[i + 1];
      if (value !== undefined) resource[key] = value;
    }
  }
  return resource;
}
