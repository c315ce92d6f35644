import type { Attributes } from '../../model/log-record.ts';

// /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
const PODS = /\/pods\/([^/_]+)_([^/_]+)_([^/_]+)\/([^/]+)\/[^/]+\.log(?:\.[^/]*)?$/;
// /var/log/containers/<pod>_<namespace>_<container>-<container id>.log
const CONTAINERS = /\/containers\/([^/_]+)_([^/_]+)_(.+)-([0-9a-f]{64})\.log$/;

/**
 * Kubernetes resource attributes from a log path (and the path a symlink points to, which for
 * `/var/log/containers` links is the pods path that carries the pod uid).
 */
export function kubernetesResource(path: string, target?: string): Attributes {
  const resource: Attributes = {};
  const c = CONTAINERS.exec(path) ?? (target ? CONTAINERS.exec(target) : null);
  if (c) {
    resource['k8s.pod.name'] = c[1]!;
    resource['k8s.namespace.name'] = c[2]!;
    resource['k8s.container.name'] = c[3]!;
    resource['container.id'] = c[4]!;
  }
  const p = PODS.exec(path) ?? (target ? PODS.exec(target) : null);
  if (p) {
    resource['k8s.namespace.name'] = p[1]!;
    resource['k8s.pod.name'] = p[2]!;
    resource['k8s.pod.uid'] = p[3]!;
    resource['k8s.container.name'] = p[4]!;
  }
  return resource;
}
