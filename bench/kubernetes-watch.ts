/**
 * What watching this node's pods costs the agent: CPU and memory of the pod metadata cache
 * (list + watch, parsing, the bounded store) while pods change at a steady rate.
 *
 *   node bench/kubernetes-watch.ts [--changes-per-second 10] [--seconds 30] [--pods 110] [--other-pods 0] [--pod-bytes 8000]
 *
 * A fake API server runs in a child process (not counted): --pods pods on this node (and
 * --other-pods on other nodes, which the field selector keeps out), each padded to about
 * --pod-bytes of JSON like a real pod with its status and managedFields; every 1/rate s one
 * pod of this node gets a new label value (a MODIFIED event), and a bookmark goes out every 10 s.
 * This process runs only the cache. After the first list and 3 s of warm-up it measures CPU
 * (process.cpuUsage, user + system) over --seconds and prints it as a share of one core, with
 * the events received and the resident memory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { kubernetesConfigSchema } from '../src/kubernetes/config.ts';
import { PodMetadata } from '../src/kubernetes/pod-metadata.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { deploymentPod, FakeKubeApi, type FakePod } from '../test/helpers/fake-kube-api.ts';

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    'changes-per-second': { type: 'string', default: '10' },
    seconds: { type: 'string', default: '30' },
    pods: { type: 'string', default: '110' },
    'other-pods': { type: 'string', default: '0' },
    'pod-bytes': { type: 'string', default: '8000' },
  },
});
const rate = Number(values['changes-per-second']);
const pods = Number(values.pods);

/** A pod about as big as a real one: labels, annotations, status and managedFields. */
function realisticPod(i: number, node: string, bytes: number, version: number): FakePod {
  const pod = deploymentPod({
    uid: `${node}-${i}`,
    node,
    deployment: `app-${i % 20}`,
    labels: { team: `team-${i % 7}`, 'app.kubernetes.io/name': `app-${i % 20}`, revision: String(version) },
    annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-01T00:00:00Z' },
  });
  const filler = 'x'.repeat(Math.max(0, bytes - JSON.stringify(pod).length - 200));
  return { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], managedFields: filler } } as FakePod;
}

if (values.serve) {
  const api = await new FakeKubeApi().start();
  const bytes = Number(values['pod-bytes']);
  for (let i = 0; i < pods; i++) api.upsert(realisticPod(i, 'node-a', bytes, 0));
  for (let i = 0; i < Number(values['other-pods']); i++) api.upsert(realisticPod(i, 'node-b', bytes, 0));
  process.stdout.write(`${api.port}\n`);
  let n = 0;
  setInterval(() => {
    n++;
    api.upsert(realisticPod(n % pods, 'node-a', bytes, n));
  }, 1000 / rate);
  setInterval(() => api.bookmark(), 10_000);
} else {
  const child = spawn(process.execPath, [import.meta.filename, '--serve', ...process.argv.slice(2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const dir = mkdtempSync(join(tmpdir(), 'l2e-bench-k8s-'));
  const api = new FakeKubeApi();
  api.port = port;
  const kubeconfig = api.writeKubeconfig(join(dir, 'kubeconfig'));
  const made = PodMetadata.create(
    kubernetesConfigSchema().parse({ kubeconfig, node_name: 'node-a', labels: ['team', 'app.kubernetes.io/*'] }),
    { logger: silentLogger, metrics: new Metrics() },
  );
  if (!made.ok) throw new Error(made.error);
  const cache = made.pods;
  const t0 = performance.now();
  cache.start();
  await cache.watcher.synced;
  const listMs = performance.now() - t0;
  await sleep(3000);
  const events0 = cache.watcher.stats.events;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sleep(Number(values.seconds) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - wall0) / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const events = cache.watcher.stats.events - events0;
  console.log(
    JSON.stringify({
      pods_on_node: pods,
      other_pods: Number(values['other-pods']),
      list_ms: Math.round(listMs),
      seconds: Number(wallS.toFixed(1)),
      events,
      events_per_second: Number((events / wallS).toFixed(1)),
      cpu_seconds: Number(cpuS.toFixed(3)),
      core_percent: Number(((100 * cpuS) / wallS).toFixed(3)),
      cached_pods: cache.store.size,
      rss_mib: Number((process.memoryUsage().rss / 2 ** 20).toFixed(1)),
    }),
  );
  await cache.stop();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}
