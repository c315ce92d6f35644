import { describe, expect, it } from 'vitest';
import { ownerAttributes } from '../../src/kubernetes/owners.ts';
import { parsePod, type PodInfo } from '../../src/kubernetes/pod.ts';
import { PodStore } from '../../src/kubernetes/pod-store.ts';
import type { LogRecord } from '../../src/model/log-record.ts';
import { podRecord } from '../../src/sources/pod-enrichment.ts';
import { deploymentPod } from '../helpers/fake-kube-api.ts';

const record = (body: string): LogRecord => ({
  timeUnixNano: 5n,
  observedTimeUnixNano: 6n,
  severityNumber: 0,
  severityText: '',
  body,
  attributes: {},
  resource: { 'k8s.pod.uid': 'u1', 'k8s.container.name': 'app' },
});
const pod = (annotations: Record<string, string>): PodInfo =>
  parsePod(deploymentPod({ uid: 'u1', annotations }), { labels: [], annotations: [] })!;

describe('owners by name', () => {
  it('resolves Deployment, StatefulSet, DaemonSet, Job and CronJob as k8sattributes does', () => {
    expect(ownerAttributes([{ kind: 'ReplicaSet', name: 'web-7d4b9c8f5' }], '7d4b9c8f5')).toEqual({
      'k8s.replicaset.name': 'web-7d4b9c8f5',
      'k8s.deployment.name': 'web',
    });
    expect(ownerAttributes([{ kind: 'ReplicaSet', name: 'my-api-5c6d7f8b9' }], undefined)['k8s.deployment.name']).toBe('my-api');
    expect(
      ownerAttributes(
        [
          { kind: 'StatefulSet', name: 'db' },
          { kind: 'DaemonSet', name: 'agent' },
        ],
        undefined,
      ),
    ).toEqual({ 'k8s.statefulset.name': 'db', 'k8s.daemonset.name': 'agent' });
    expect(ownerAttributes([{ kind: 'Job', name: 'nightly-28930920' }], undefined)).toEqual({
      'k8s.job.name': 'nightly-28930920',
      'k8s.cronjob.name': 'nightly',
    });
    expect(ownerAttributes([{ kind: 'Job', name: 'migrate' }], undefined)).toEqual({ 'k8s.job.name': 'migrate' });
  });
});

describe('a pod applied to a record', () => {
  it('adds its attributes and image; honours exclude and format annotations only when told to', () => {
    const r = podRecord(pod({}), record('INFO hello'), { honor: true });
    expect(r).toMatchObject({
      kind: 'ready',
      record: {
        resource: { 'k8s.deployment.name': 'web', 'k8s.node.name': 'node-a', 'k8s.container.image': 'registry.example.com/web:1.2.3' },
      },
    });
    expect(podRecord(pod({ 'log2events.io/exclude': 'true' }), record('x'), { honor: true })).toEqual({ kind: 'skip' });
    expect(podRecord(pod({ 'log2events.io/exclude': 'true' }), record('x'), { honor: false }).kind).toBe('ready');
  });

  it('log2events.io/format: json parses the line inside the envelope; plain reads its leading timestamp', () => {
    const json = podRecord(
      pod({ 'log2events.io/format': 'json' }),
      record('{"message":"card declined","level":"error","time":"2026-12-02T04:00:00Z","order":42}'),
      { honor: true },
    );
    expect(json).toMatchObject({
      kind: 'ready',
      record: {
        body: 'card declined',
        severityText: 'error',
        severityNumber: 17,
        timeUnixNano: BigInt(Date.parse('2026-12-02T04:00:00Z')) * 1_000_000n,
        fields: { order: 42 },
      },
    });
    const notJson = podRecord(pod({ 'log2events.io/format': 'json' }), record('not json'), { honor: true });
    expect(notJson).toMatchObject({ kind: 'ready', record: { body: 'not json', timeUnixNano: 5n } });
    const plain = podRecord(pod({ 'log2events.io/format': 'plain' }), record('2026-12-02T04:00:01Z ERROR x'), { honor: true });
    expect(plain).toMatchObject({ kind: 'ready', record: { timeUnixNano: BigInt(Date.parse('2026-12-02T04:00:01Z')) * 1_000_000n } });
  });
});

describe('the pod store over time', () => {
  it('keeps live pods however long the API is away; deleted ones go after their ttl', () => {
    let now = 0;
    const store = new PodStore(100, 300_000, () => now);
    store.upsert(pod({}));
    store.upsert(parsePod(deploymentPod({ uid: 'u2' }), { labels: [], annotations: [] })!);
    store.delete('u2');
    now += 30_000; // a 30 s outage: nothing arrives, nothing is dropped
    store.upsert(parsePod(deploymentPod({ uid: 'u3' }), { labels: [], annotations: [] })!);
    expect([store.get('u1'), store.get('u2'), store.get('u3')].every(Boolean)).toBe(true);
    now += 300_000; // the deleted pod's ttl passes (checked on the next change)
    store.upsert(parsePod(deploymentPod({ uid: 'u4' }), { labels: [], annotations: [] })!);
    expect(store.get('u2')).toBeUndefined();
    expect(store.get('u1')).toBeDefined();
  });
});
