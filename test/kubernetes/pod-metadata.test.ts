import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubernetesConfigSchema } from '../../src/kubernetes/config.ts';
import { PodMetadata } from '../../src/kubernetes/pod-metadata.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { deploymentPod, FakeKubeApi } from '../helpers/fake-kube-api.ts';
import { until } from '../file/e2e-helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (msg) => void lines.push(`info ${msg}`),
    warn: (msg) => void lines.push(`warn ${msg}`),
    error: (msg) => void lines.push(`error ${msg}`),
    child: () => logger,
  };
  return logger;
}

async function setup(config: Record<string, unknown> = {}) {
  const api = await new FakeKubeApi().start();
  const dir = mkdtempSync(join(tmpdir(), 'l2e-k8s-'));
  cleanups.push(
    () => api.stop(),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const kubeconfig = api.writeKubeconfig(join(dir, 'kubeconfig'));
  const logs: string[] = [];
  const metrics = new Metrics();
  const parsed = kubernetesConfigSchema().parse({ kubeconfig, node_name: 'node-a', labels: ['team'], annotations: ['owner/*'], ...config });
  const made = PodMetadata.create(parsed, { logger: recordingLogger(logs), metrics });
  if (!made.ok) throw new Error(made.error);
  const pods = made.pods;
  cleanups.push(() => pods.stop());
  return { api, pods, logs, metrics };
}

describe('pod metadata from the Kubernetes API', () => {
  it('lists and watches this node’s pods: labels, annotations, owners, node, image; bookmarks, 410, drops, outage', async () => {
    const { api, pods, logs, metrics } = await setup();
    api.upsert(
      deploymentPod({
        uid: 'uid-1',
        labels: { team: 'payments', tier: 'db' },
        annotations: { 'owner/contact': 'ops@example.com', secret: 'x' },
      }),
    );
    api.upsert(deploymentPod({ uid: 'uid-other-node', node: 'node-b' }));
    pods.start();
    await pods.watcher.synced;
    const pod = pods.lookup({ uid: 'uid-1' });
    expect(pod?.attributes).toEqual({
      'k8s.replicaset.name': 'web-7d4b9c8f5',
      'k8s.deployment.name': 'web',
      'k8s.node.name': 'node-a',
      'k8s.pod.labels.team': 'payments',
      'k8s.pod.annotations.owner/contact': 'ops@example.com',
    });
    expect(pods.resourceFor({ 'k8s.pod.uid': 'uid-1', 'k8s.container.name': 'app' }, pod!)['k8s.container.image']).toBe(
      'registry.example.com/web:1.2.3',
    );
    expect(pods.lookup({ uid: 'uid-other-node' })).toBeUndefined();
    expect(api.requests[0]).toContain('fieldSelector=spec.nodeName%3Dnode-a');

    // a new pod arrives through the watch
    await until(
      () => api.watchCount,
      (n) => n === 1,
      'a watch',
    );
    expect(api.requests.at(-1)).toContain('allowWatchBookmarks=true');
    api.upsert(deploymentPod({ uid: 'uid-2', labels: { team: 'search' } }));
    await until(() => pods.lookup({ uid: 'uid-2' }), Boolean, 'uid-2 from the watch');

    // a bookmark moves the version on: the watch resumes from it after a dropped connection
    api.upsert(deploymentPod({ uid: 'uid-on-b', node: 'node-b' })); // a change this node never sees
    api.bookmark();
    await until(
      () => pods.watcher.stats.bookmarks,
      (n) => n === 1,
      'the bookmark',
    );
    const bookmarkRv = /resourceVersion=(\d+)/.exec(JSON.stringify(api.requests))?.[1];
    api.dropWatches();
    await until(
      () => api.watchCount,
      (n) => n === 1,
      'the watch resumed',
    );
    expect(api.requests.at(-1)).not.toContain(`resourceVersion=${bookmarkRv}&`);
    expect(Number(/resourceVersion=(\d+)/.exec(api.requests.at(-1)!)?.[1])).toBeGreaterThan(Number(bookmarkRv));
    expect(pods.watcher.stats.lists).toBe(1);

    // 410 Gone: the agent lists again and sees what changed
    api.compact();
    api.upsert(deploymentPod({ uid: 'uid-3', deployment: 'api' }));
    await until(() => pods.lookup({ uid: 'uid-3' }), Boolean, 'uid-3 after the relist');
    expect(pods.watcher.stats.lists).toBe(2);
    expect(pods.watcher.stats.gone).toBe(1);

    // an outage: known pods keep their metadata, the metric and a warning say so
    await until(
      () => api.watchCount,
      (n) => n === 1,
      'a watch',
    );
    api.outage();
    await until(
      () => metrics.value('log2events_kubernetes_api_up'),
      (v) => v === 0,
      'api_up 0',
    );
    expect(logs.filter((l) => l.startsWith('warn kubernetes API unreachable'))).toHaveLength(1);
    expect(pods.lookup({ uid: 'uid-1' })?.attributes['k8s.pod.labels.team']).toBe('payments');
    expect(pods.shouldWait({ uid: 'unknown' })).toBe(false); // nothing can arrive: records do not stall
    await until(
      () => pods.watcher.stats.failures,
      (n) => n >= 2,
      'retries during the outage',
    );
    api.upsert(deploymentPod({ uid: 'uid-4' })); // made while the agent cannot see
    api.remove('uid-2');
    api.recover();
    await until(() => pods.lookup({ uid: 'uid-4' }), Boolean, 'uid-4 after the outage', 60_000);
    expect(metrics.value('log2events_kubernetes_api_up')).toBe(1);
    expect(logs).toContain('info kubernetes API reachable again');
    // a deleted pod's metadata stays for its last lines
    expect(pods.lookup({ uid: 'uid-2' })).toBeDefined();
    expect(pods.lookup({ namespace: 'default', name: pods.lookup({ uid: 'uid-1' })!.name })?.uid).toBe('uid-1');
  });

  it('stays bounded with 5,000 pods listed and 5,000 more churned through the watch', async () => {
    const { api, pods } = await setup({ max_pods: 1000 });
    for (let i = 0; i < 5000; i++) api.upsert(deploymentPod({ uid: `a-${i}` }));
    pods.start();
    await pods.watcher.synced;
    expect(pods.store.size).toBe(1000);
    expect(pods.lookup({ uid: 'a-4999' })).toBeDefined(); // the latest pods are the ones kept
    await until(
      () => api.watchCount,
      (n) => n === 1,
      'a watch',
    );
    for (let i = 0; i < 5000; i++) {
      api.upsert(deploymentPod({ uid: `b-${i}` }));
      api.remove(`a-${i}`);
    }
    await until(() => pods.lookup({ uid: 'b-4999' }), Boolean, 'the last churned pod', 60_000);
    expect(pods.store.size).toBeLessThanOrEqual(1000);
    expect(pods.lookup({ uid: 'b-4000' })).toBeDefined();
  });

  it('waits for a pod not known yet, bounded, and only once per pod', async () => {
    const { api, pods } = await setup({ wait_for_pod: '300ms' });
    pods.start();
    await pods.watcher.synced;
    await until(
      () => api.watchCount,
      (n) => n === 1,
      'a watch',
    );
    const waited = pods.waitFor({ uid: 'late' });
    api.upsert(deploymentPod({ uid: 'late' }));
    await waited;
    expect(pods.lookup({ uid: 'late' })).toBeDefined();
    await pods.waitFor({ uid: 'never' });
    expect(pods.shouldWait({ uid: 'never' })).toBe(false);
  });

  it('says in one line what is missing', () => {
    const noNode = PodMetadata.create(kubernetesConfigSchema().parse({}), { logger: recordingLogger([]), metrics: new Metrics(), env: {} });
    expect(noNode).toEqual({ ok: false, error: expect.stringMatching(/^kubernetes: no node name: .*K8S_NODE_NAME/) });
    const notInPod = PodMetadata.create(kubernetesConfigSchema().parse({ node_name: 'n' }), {
      logger: recordingLogger([]),
      metrics: new Metrics(),
      env: {},
    });
    expect(notInPod).toEqual({ ok: false, error: expect.stringMatching(/KUBERNETES_SERVICE_HOST is not set/) });
  });
});
