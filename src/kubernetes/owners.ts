import type { Attributes } from '../model/log-record.ts';

export interface OwnerRef {
  kind: string;
  name: string;
}

/** The suffix a ReplicaSet's name gets from its pod template hash (Kubernetes' safe-encoding alphabet). */
const TEMPLATE_HASH = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/;
/** A CronJob's Job is named `<cronjob>-<scheduled time in minutes>`. */
const CRONJOB_SUFFIX = /^(.+)-\d+$/;

/**
 * Workload attributes from a pod's owner references, by name only (as the OpenTelemetry
 * Collector's k8sattributes does), so that no ReplicaSet or Job needs reading: a ReplicaSet's
 * Deployment is its name without the pod-template-hash suffix, a Job's CronJob its name without
 * the schedule suffix.
 */
export function ownerAttributes(owners: readonly OwnerRef[], templateHash: string | undefined): Attributes {
  const out: Attributes = {};
  for (const { kind, name } of owners) {
    switch (kind) {
      case 'ReplicaSet': {
        out['k8s.replicaset.name'] = name;
        const deployment =
          templateHash && name.endsWith(`-${templateHash}`) ? name.slice(0, -templateHash.length - 1) : TEMPLATE_HASH.exec(name)?.[1];
        if (deployment) out['k8s.deployment.name'] = deployment;
        break;
      }
      case 'StatefulSet':
        out['k8s.statefulset.name'] = name;
        break;
      case 'DaemonSet':
        out['k8s.daemonset.name'] = name;
        break;
      case 'Job': {
        out['k8s.job.name'] = name;
        const cronjob = CRONJOB_SUFFIX.exec(name)?.[1];
        if (cronjob) out['k8s.cronjob.name'] = cronjob;
        break;
      }
    }
  }
  return out;
}
