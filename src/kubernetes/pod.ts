import type { Attributes } from '../model/log-record.ts';
import { ownerAttributes, type OwnerRef } from './owners.ts';

/** What the agent keeps of a pod: parsed once, when the API sends it. */
export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  resourceVersion: string;
  /** Resource attributes every record of the pod gets (node, workload, chosen labels and annotations). */
  attributes: Attributes;
  /** Image per container name (init containers included). */
  images: Map<string, string>;
  /** The pod's annotations (only the steering ones are looked at). */
  annotations: Record<string, string>;
}

/** Which labels and annotations become attributes. */
export interface KeySelection {
  labels: readonly string[];
  annotations: readonly string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v) ?? {})) if (typeof x === 'string') out[k] = x;
  return out;
};

/** Whether `key` is selected by one of the patterns (an exact key, or a prefix ending in `*`). */
export function selected(patterns: readonly string[], key: string): boolean {
  for (const p of patterns) if (p.endsWith('*') ? key.startsWith(p.slice(0, -1)) : p === key) return true;
  return false;
}

/** A pod object from the API, or undefined when it lacks what identifies it. */
export function parsePod(value: unknown, select: KeySelection): PodInfo | undefined {
  const pod = obj(value);
  const meta = obj(pod?.['metadata']);
  const uid = str(meta?.['uid']);
  const name = str(meta?.['name']);
  const namespace = str(meta?.['namespace']);
  if (!meta || !uid || !name || !namespace) return undefined;
  const spec = obj(pod?.['spec']);
  const labels = strings(meta['labels']);
  const annotations = strings(meta['annotations']);
  const owners: OwnerRef[] = [];
  for (const ref of Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'] : []) {
    const kind = str(obj(ref)?.['kind']);
    const refName = str(obj(ref)?.['name']);
    if (kind && refName) owners.push({ kind, name: refName });
  }
  const attributes: Attributes = ownerAttributes(owners, labels['pod-template-hash']);
  const node = str(spec?.['nodeName']);
  if (node) attributes['k8s.node.name'] = node;
  for (const [k, v] of Object.entries(labels)) if (selected(select.labels, k)) attributes[`k8s.pod.labels.${k}`] = v;
  for (const [k, v] of Object.entries(annotations)) if (selected(select.annotations, k)) attributes[`k8s.pod.annotations.${k}`] = v;
  const images = new Map<string, string>();
  for (const list of [spec?.['initContainers'], spec?.['containers']]) {
    for (const c of Array.isArray(list) ? list : []) {
      const cname = str(obj(c)?.['name']);
      const image = str(obj(c)?.['image']);
      if (cname && image) images.set(cname, image);
    }
  }
  return { uid, name, namespace, resourceVersion: str(meta['resourceVersion']) ?? '', attributes, images, annotations };
}

/** Annotation that makes the agent skip a pod's logs (`"true"`), when `honor_annotations` is on. */
export const EXCLUDE_ANNOTATION = 'log2events.io/exclude';
/** Annotation naming how a pod's log lines (inside the runtime's envelope) are parsed: `json` or `plain`. */
export const FORMAT_ANNOTATION = 'log2events.io/format';

/** A record's resource with its pod's attributes and its container's image. */
export function podResource(resource: Attributes, pod: PodInfo): Attributes {
  const merged: Attributes = { ...resource, ...pod.attributes };
  const container = resource['k8s.container.name'];
  const image = typeof container === 'string' ? pod.images.get(container) : undefined;
  if (image) merged['k8s.container.image'] = image;
  if (merged['k8s.pod.uid'] === undefined) merged['k8s.pod.uid'] = pod.uid;
  return merged;
}
