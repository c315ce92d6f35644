import { basename } from 'node:path';
import type { Attributes } from '../../model/log-record.ts';
import { kubernetesResource } from './kubernetes.ts';

/** What every record of a file shares: its path and name, and the pod its path names. */
export interface FileRecordContext {
  attributes: Attributes;
  resource: Attributes;
}

/**
 * The shared part of a file's records (records are never changed once made, so one object
 * serves them all); `target` is where a symlinked path points (see kubernetesResource).
 */
export function fileRecordContext(path: string, target?: string): FileRecordContext {
  return { attributes: { 'log.file.path': path, 'log.file.name': basename(path) }, resource: kubernetesResource(path, target) };
}
