import { EXCLUDE_ANNOTATION, FORMAT_ANNOTATION, podResource, type PodInfo } from '../kubernetes/pod.ts';
import type { Attributes } from '../model/log-record.ts';
import { podKeyOf, type PodKey, type PodMetadata } from '../kubernetes/pod-metadata.ts';
import type { Event } from '../model/event.ts';
import type { LogRecord } from '../model/log-record.ts';
import type { JsonKeys } from './file/config.ts';
import { JsonDecoder } from './file/formats/json.ts';
import { leadingTimestamp } from './line-record.ts';
import type { CommitOptions, CommitResult, RecordProcessor, SourceContext, Checkpoint, Intake } from './source.ts';

export type Enriched = { kind: 'ready'; record: LogRecord } | { kind: 'skip' } | { kind: 'wait'; key: PodKey };

const DEFAULT_JSON: JsonKeys = { message_key: 'message', severity_key: 'level', timestamp_key: 'time' };

/**
 * A record with its pod's metadata: resource attributes, and what the pod's steering
 * annotations say (skip it; parse its line as json or plain). A record of a pod not known yet
 * answers `wait` while waiting is still allowed for that pod.
 */
export function enrichRecord(pods: PodMetadata, record: LogRecord, json: JsonKeys = DEFAULT_JSON): Enriched {
  const key = podKeyOf(record.resource);
  if (!key) return { kind: 'ready', record };
  const pod = pods.lookup(key);
  if (!pod) {
    if (pods.shouldWait(key)) return { kind: 'wait', key };
    pods.missed();
    return { kind: 'ready', record };
  }
  return podRecord(pod, record, { honor: pods.config.honor_annotations, json, resource: (r, p) => pods.resourceFor(r, p) });
}

export interface PodRecordOptions {
  /** Whether the pod's steering annotations apply (`honor_annotations`). */
  honor: boolean;
  json?: JsonKeys;
  /** How the resource is merged (the agent shares one object per file). */
  resource?: (resource: Attributes, pod: PodInfo) => Attributes;
}

/** Applies a known pod to a record: the agent's enrichment, and `eval --pod` and rule tests with `pod:`. */
export function podRecord(pod: PodInfo, record: LogRecord, opts: PodRecordOptions): Enriched {
  if (opts.honor && pod.annotations[EXCLUDE_ANNOTATION] === 'true') return { kind: 'skip' };
  const out: LogRecord = { ...record, resource: (opts.resource ?? podResource)(record.resource, pod) };
  const format = opts.honor ? pod.annotations[FORMAT_ANNOTATION] : undefined;
  if (format && typeof record.body === 'string') reparse(out, record.body, format, opts.json ?? DEFAULT_JSON);
  return { kind: 'ready', record: out };
}

/** The line inside the runtime's envelope, parsed as the pod's `log2events.io/format` says. */
function reparse(record: LogRecord, line: string, format: string, json: JsonKeys): void {
  if (format === 'plain') {
    const time = leadingTimestamp(line);
    if (time !== 0n) record.timeUnixNano = time;
    return;
  }
  if (format !== 'json') return;
  const entry = new JsonDecoder(json).push(line, 0);
  if (!entry.fields) return; // not a JSON object: stays a plain line
  record.body = entry.body ?? entry.text;
  record.fields = { ...record.fields, ...entry.fields };
  if (entry.severityNumber !== undefined) {
    record.severityNumber = entry.severityNumber;
    record.severityText = entry.severityText ?? '';
  }
  if (entry.timeUnixNano !== undefined) record.timeUnixNano = entry.timeUnixNano;
}

/** How long one wait for spool room (or for pods) may last before the caller looks again. */
const RETRY_MS = 50;

/**
 * A source context whose records get pod metadata. With `wait`, a record of a pod not yet known
 * is held back (with every later record of that pod, keeping their order) and the commit that
 * would carry it answers "full" until the pod is known or `wait_for_pod` has passed: the source
 * then commits again, and the held records go with it, enriched. The source's checkpoints stay
 * with the events derived before them, so nothing is lost or doubled by the wait.
 */
export function withPodMetadata(ctx: SourceContext, pods: PodMetadata, opts: { wait: boolean; json?: JsonKeys }): SourceContext {
  const held: { record: LogRecord; source: string; key: PodKey }[] = [];
  const heldKeys = new Set<string>();
  /** Events of held records, made once their wait ended, riding with the next commit. */
  let carried: Event[] = [];
  const keyText = (k: PodKey) => ('uid' in k ? k.uid : `${k.namespace}/${k.name}`);
  const inner = ctx.processor;

  const processor: RecordProcessor = {
    literalsFor: (source) => inner.literalsFor(source),
    process(record, source) {
      const key = opts.wait ? podKeyOf(record.resource) : undefined;
      if (key && heldKeys.has(keyText(key))) {
        held.push({ record, source, key });
        return [];
      }
      const r = enrichRecord(pods, record, opts.json);
      if (r.kind === 'skip') return [];
      if (r.kind === 'ready') return inner.process(r.record, source);
      if (!opts.wait) {
        pods.missed();
        return inner.process(record, source);
      }
      held.push({ record, source, key: r.key });
      heldKeys.add(keyText(r.key));
      return [];
    },
  };

  /** Once no held pod is worth waiting for any more, turns the held records into events. */
  const release = (): boolean => {
    if (held.some((h) => !pods.lookup(h.key) && pods.shouldWait(h.key))) return false;
    for (const h of held.splice(0)) {
      const r = enrichRecord(pods, h.record, opts.json);
      if (r.kind === 'ready') carried.push(...inner.process(r.record, h.source));
      else if (r.kind === 'wait') {
        pods.missed();
        carried.push(...inner.process(h.record, h.source));
      }
    }
    heldKeys.clear();
    return true;
  };

  const intake: Intake = {
    ...bindIntake(ctx.intake),
    commit(events: readonly Event[], checkpoints?: readonly Checkpoint[], options?: CommitOptions): CommitResult {
      if (held.length > 0 && !release()) return { ok: false, reason: 'full', retryAfterMs: RETRY_MS };
      const all = carried.length ? [...events, ...carried] : events;
      const result = ctx.intake.commit(all, checkpoints, options);
      if (result.ok) carried = [];
      return result;
    },
    async waitForRoom(signal?: AbortSignal): Promise<void> {
      const waiting = held.find((h) => !pods.lookup(h.key) && pods.shouldWait(h.key));
      if (waiting) return pods.waitFor(waiting.key, signal);
      return ctx.intake.waitForRoom(signal);
    },
  };
  return { ...ctx, processor, intake };
}

function bindIntake(intake: Intake): Intake {
  const out: Intake = {
    commit: intake.commit.bind(intake),
    waitForRoom: intake.waitForRoom.bind(intake),
    checkpoints: intake.checkpoints.bind(intake),
    forgetCheckpoints: intake.forgetCheckpoints.bind(intake),
  };
  if (intake.secure) out.secure = intake.secure.bind(intake);
  return out;
}
