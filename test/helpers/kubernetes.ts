import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';

/**
 * The Kubernetes manifests of deploy/kubernetes/ read as plain objects, and the log2events
 * container of each workload with the config it embeds, "mounted" into a local directory: each
 * volume of the container becomes a directory, a ConfigMap volume holds its files, and the
 * config's paths under a mount point are moved there. Used by the manifests' test and by
 * bench/kubernetes.ts, which run those configs for real.
 */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

export interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface Volume {
  name: string;
  emptyDir?: { sizeLimit?: string };
  hostPath?: { path: string };
  configMap?: { name: string };
}
export interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  initContainers?: (Container & { restartPolicy?: string })[];
  volumes?: Volume[];
}

export function loadManifests(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return doc.toJS() as KubeObject;
  });
}

export interface Agent {
  workload: KubeObject;
  pod: PodSpec;
  container: Container;
  /** The `-c` path of its args, inside the container. */
  configPath: string;
  /** The embedded config's text, from the ConfigMap mounted there. */
  configText: string;
}

/** The log2events containers of the manifests' workloads (Deployment, DaemonSet, StatefulSet). */
export function agents(docs: KubeObject[]): Agent[] {
  const found: Agent[] = [];
  for (const workload of docs) {
    const pod = (workload.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
    if (!pod) continue;
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      if (!/\/log2events:|^log2events:/.test(container.image)) continue;
      const args = container.args ?? [];
      const configPath = args[args.indexOf('-c') + 1];
      if (args.indexOf('-c') < 0 || !configPath) throw new Error(`${workload.metadata.name}/${container.name}: no -c CONFIG in args`);
      const mount = mountOf(container, configPath);
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      const map = docs.find(
        (d) =>
          d.kind === 'ConfigMap' && d.metadata.name === volume?.configMap?.name && d.metadata.namespace === workload.metadata.namespace,
      );
      const configText = (map?.data as Record<string, string> | undefined)?.[posix.relative(mount?.mountPath ?? '/', configPath)];
      if (configText === undefined)
        throw new Error(`${workload.metadata.name}/${container.name}: ${configPath} is not a file of a mounted ConfigMap`);
      found.push({ workload, pod, container, configPath, configText });
    }
  }
  return found;
}

/** The volume mount a path inside the container is under (the deepest one), if any. */
export function mountOf(container: Container, path: string): { name: string; mountPath: string; readOnly?: boolean } | undefined {
  return (container.volumeMounts ?? [])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

export interface LocalAgent {
  /** mountPath → the local directory standing in for that volume. */
  mounts: Map<string, string>;
  /** The config to run: the embedded one, its paths moved into the local mounts. */
  configFile: string;
}

/**
 * Mounts an agent's volumes under `dir` and writes its config there, with its paths under a
 * mount point moved to the local directory and, as given, listen addresses changed (a local run
 * cannot bind the manifest's ports, which other programs may hold). `edit` sees the parsed
 * config document for anything else (a sink's endpoint).
 */
export function mountLocally(
  agent: Agent,
  dir: string,
  opts: { listen?: Record<string, string>; edit?: (doc: ReturnType<typeof parseDocument>) => void } = {},
): LocalAgent {
  const mounts = new Map<string, string>();
  for (const m of agent.container.volumeMounts ?? []) {
    const local = join(dir, m.name);
    mkdirSync(local, { recursive: true });
    mounts.set(m.mountPath.replace(/\/$/, ''), local);
  }
  // One pass over the text (a local directory may itself be under /tmp, a mount point), the
  // longest mount point first: /var/log/app before /var/log.
  const points = [...mounts.keys()].sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const text = agent.configText.replace(new RegExp(`(?<=["' \\[])(${points.join('|')})(?=[/"' \\],]|$)`, 'gm'), (p) => mounts.get(p)!);
  const doc = parseDocument(text);
  for (const [path, value] of Object.entries(opts.listen ?? {})) doc.setIn(path.split('.'), value);
  opts.edit?.(doc);
  const configFile = localPath(mounts, agent.configPath);
  mkdirSync(dirname(configFile), { recursive: true });
  writeFileSync(configFile, doc.toString());
  return { mounts, configFile };
}

/** Where a path inside the container is in the local mounts. */
export function localPath(mounts: Map<string, string>, path: string): string {
  const best = [...mounts.keys()].filter((m) => path === m || path.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0];
  if (best === undefined) throw new Error(`${path} is on no volume`);
  return join(mounts.get(best)!, path.slice(best.length));
}
