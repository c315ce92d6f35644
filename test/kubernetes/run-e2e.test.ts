import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratchDir, startCli } from '../helpers/cli.ts';
import { deploymentPod, FakeKubeApi, type FakePod } from '../helpers/fake-kube-api.ts';
import { until } from '../file/e2e-helpers.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Out = { rule: string; content: string; time: number; attributes: Record<string, string> };
const events = (path: string): Out[] => {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Out);
  } catch {
    return [];
  }
};
const cri = (msg: string, time = '2026-12-02T04:00:00.000000001Z') => `${time} stdout F ${msg}\n`;

function podDir(root: string, pod: FakePod, container = 'app'): string {
  const dir = join(root, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`, container);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('log2events run with pod metadata from a Kubernetes API', () => {
  it('enriches, routes by label, waits for a new pod, rides out an outage without losing a record', { timeout: 120_000 }, async () => {
    const scratch = scratchDir('l2e-k8s-e2e-');
    cleanups.push(() => scratch.cleanup());
    const api = await new FakeKubeApi().start();
    cleanups.push(() => api.stop());
    const root = scratch.dir;
    const kubeconfig = api.writeKubeconfig(join(root, 'kubeconfig'));

    const pay = deploymentPod({
      uid: 'uid-pay',
      deployment: 'checkout',
      labels: { team: 'payments' },
      image: 'registry.example.com/checkout:7',
    });
    const web = deploymentPod({ uid: 'uid-web', deployment: 'web', labels: { team: 'search' } });
    const job: FakePod = {
      metadata: {
        uid: 'uid-job',
        name: 'nightly-28930920-abcde',
        namespace: 'batch',
        ownerReferences: [{ kind: 'Job', name: 'nightly-28930920' }],
      },
      spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'busybox:1' }] },
    };
    const db: FakePod = {
      metadata: {
        uid: 'uid-db',
        name: 'db-0',
        namespace: 'data',
        labels: { team: 'payments' },
        ownerReferences: [{ kind: 'StatefulSet', name: 'db' }],
        annotations: { 'log2events.io/format': 'json' },
      },
      spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'postgres:17' }] },
    };
    const quiet = deploymentPod({ uid: 'uid-quiet', deployment: 'noisy', annotations: { 'log2events.io/exclude': 'true' } });
    for (const p of [pay, web, job, db, quiet]) api.upsert(p);
    writeFileSync(join(podDir(root, pay), '0.log'), cri('ERROR card declined 1'));
    writeFileSync(join(podDir(root, web), '0.log'), cri('ERROR search down 1'));
    writeFileSync(join(podDir(root, job), '0.log'), cri('ERROR job failed 1'));
    writeFileSync(
      join(podDir(root, db), '0.log'),
      cri('{"message":"ERROR replica lag 1","level":"error","time":"2026-12-02T05:00:00Z","lag":42}'),
    );
    writeFileSync(join(podDir(root, quiet), '0.log'), cri('ERROR ignored'));
    writeFileSync(join(root, 'app.log'), '2026-12-02T04:00:00Z ERROR database unreachable\n');

    const out = (name: string) => `${name}: { type: file, path: ${join(root, `${name}.jsonl`)}, fsync: false, concurrency: 1 }`;
    const config = scratch.write(
      'config.yaml',
      `state_dir: ${join(root, 'state')}
kubernetes: { kubeconfig: ${kubeconfig}, node_name: node-a, labels: [team], honor_annotations: true, wait_for_pod: 20s }
sources:
  pods: { type: file, include: ["${root}/pods/*/*/*.log"], format: cri, start_at: beginning, poll_interval: 100ms }
  app: { type: file, include: ["${root}/app.log"], start_at: beginning, poll_interval: 100ms }
sinks:
  ${out('payments')}
  ${out('all')}
rules:
  - name: payments
    when: { contains: ERROR, resource: { k8s.pod.labels.team: payments } }
    event: { name: PaymentFailed, content: "{{body}}" }
    continue: true
    to: [payments]
  - name: all
    when: { contains: ERROR }
    event:
      name: AppError
      content: "{{body}}"
      attributes:
        node: "{{resource.k8s.node.name}}"
        workload: "{{resource.k8s.deployment.name}}{{resource.k8s.statefulset.name}}{{resource.k8s.cronjob.name}}"
        job: "{{resource.k8s.job.name}}"
        team: "{{resource.k8s.pod.labels.team}}"
        image: "{{resource.k8s.container.image}}"
        lag: "{{fields.lag}}"
    to: [all]
`,
    );
    const agent = await startCli(['run', '-c', config]);
    cleanups.push(async () => {
      agent.child.kill('SIGTERM');
      await agent.exited;
    });
    const all = join(root, 'all.jsonl');
    const payments = join(root, 'payments.jsonl');
    const byContent = () => new Map(events(all).map((e) => [e.content, e]));
    await until(
      () => events(all),
      (e) => e.length >= 5,
      'the first events',
      60_000,
    );
    const first = byContent();
    expect(first.get('ERROR card declined 1')?.attributes).toEqual({
      node: 'node-a',
      workload: 'checkout',
      job: '',
      team: 'payments',
      image: 'registry.example.com/checkout:7',
      lag: '',
    });
    expect(first.get('ERROR search down 1')?.attributes).toMatchObject({ workload: 'web', team: 'search' });
    expect(first.get('ERROR job failed 1')?.attributes).toMatchObject({ workload: 'nightly', job: 'nightly-28930920', image: 'busybox:1' });
    // log2events.io/format: json parsed the line inside the CRI envelope
    expect(first.get('ERROR replica lag 1')).toMatchObject({
      time: Date.parse('2026-12-02T05:00:00Z'),
      attributes: { workload: 'db', lag: '42', team: 'payments' },
    });
    // a tailed plain line keeps its leading timestamp
    expect(first.get('2026-12-02T04:00:00Z ERROR database unreachable')?.time).toBe(Date.parse('2026-12-02T04:00:00Z'));
    expect(first.has('ERROR ignored')).toBe(false);

    // a new pod whose lines are read before the API tells of it: they wait for its metadata
    const fresh = deploymentPod({ uid: 'uid-new', deployment: 'fresh', labels: { team: 'payments' } });
    const freshLog = join(podDir(root, fresh), '0.log');
    writeFileSync(freshLog, cri('ERROR fresh 1') + cri('ERROR fresh 2'));
    await until(
      () => agent.stderr(),
      (s) => s.includes(freshLog),
      'the new file followed',
    );
    api.upsert(fresh);
    await until(
      () => byContent(),
      (m) => m.has('ERROR fresh 2'),
      'the new pod’s events',
    );
    for (const n of [1, 2])
      expect(byContent().get(`ERROR fresh ${n}`)?.attributes).toMatchObject({ workload: 'fresh', team: 'payments', node: 'node-a' });

    // an outage: lines written meanwhile (a restarted container's new file too) keep the known metadata
    api.outage();
    await until(
      () => agent.stderr(),
      (s) => s.includes('kubernetes API unreachable'),
      'the outage noticed',
      60_000,
    );
    for (let i = 2; i <= 20; i++) appendFileSync(join(podDir(root, pay), '0.log'), cri(`ERROR card declined ${i}`));
    writeFileSync(join(podDir(root, web), '1.log'), cri('ERROR search down 2'));
    await until(
      () => byContent(),
      (m) => m.has('ERROR card declined 20') && m.has('ERROR search down 2'),
      'events during the outage',
      60_000,
    );
    api.upsert(deploymentPod({ uid: 'uid-pay', deployment: 'checkout', labels: { team: 'refunds' } })); // unseen until the API is back
    api.recover();
    await until(
      () => agent.stderr(),
      (s) => s.includes('kubernetes API reachable again'),
      'the API back',
      60_000,
    );
    appendFileSync(join(podDir(root, pay), '0.log'), cri('ERROR card declined 21'));
    await until(
      () => byContent(),
      (m) => m.has('ERROR card declined 21'),
      'the event after the outage',
      60_000,
    );

    const final = byContent();
    for (let i = 1; i <= 20; i++)
      expect(final.get(`ERROR card declined ${i}`)?.attributes, `line ${i}`).toMatchObject({ workload: 'checkout', team: 'payments' });
    expect(final.get('ERROR search down 2')?.attributes).toMatchObject({ workload: 'web', team: 'search', node: 'node-a' });
    expect(final.get('ERROR card declined 21')?.attributes.team).toBe('refunds');
    expect(events(all)).toHaveLength(5 + 2 + 19 + 1 + 1);
    // the label-routed rule saw only the payments pods (before the relabel)
    const routed = events(payments)
      .map((e) => e.content)
      .sort();
    expect(routed).toEqual(
      [
        'ERROR card declined 1',
        'ERROR fresh 1',
        'ERROR fresh 2',
        'ERROR replica lag 1',
        ...Array.from({ length: 19 }, (_, i) => `ERROR card declined ${i + 2}`),
      ].sort(),
    );
  });

  it('enriches OTLP records that name their pod by uid, or by name and namespace', { timeout: 60_000 }, async () => {
    const scratch = scratchDir('l2e-k8s-otlp-');
    cleanups.push(() => scratch.cleanup());
    const api = await new FakeKubeApi().start();
    cleanups.push(() => api.stop());
    const pod = deploymentPod({ uid: 'uid-pay', deployment: 'checkout', namespace: 'shop', labels: { team: 'payments' } });
    api.upsert(pod);
    const out = join(scratch.dir, 'out.jsonl');
    const config = scratch.write(
      'config.yaml',
      `state_dir: ${join(scratch.dir, 'state')}
kubernetes: { kubeconfig: ${api.writeKubeconfig(join(scratch.dir, 'kubeconfig'))}, node_name: node-a, labels: [team] }
sources:
  otlp: { type: otlp, http: { listen: "127.0.0.1:0" } }
sinks:
  out: { type: file, path: ${out}, fsync: false, concurrency: 1 }
rules:
  - name: all
    when: { contains: ERROR }
    event: { name: AppError, content: "{{body}}", attributes: { team: "{{resource.k8s.pod.labels.team}}", workload: "{{resource.k8s.deployment.name}}", uid: "{{resource.k8s.pod.uid}}" } }
    to: [out]
`,
    );
    const agent = await startCli(['run', '-c', config]);
    cleanups.push(async () => {
      agent.child.kill('SIGTERM');
      await agent.exited;
    });
    const address = await until(
      () => /"OTLP\/HTTP receiver listening".*?"address":"([^"]+)"/.exec(agent.stderr())?.[1],
      Boolean,
      'the OTLP address',
    );
    const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [attr('k8s.pod.uid', 'uid-pay')] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: 'ERROR by uid' } }] }],
        },
        {
          resource: { attributes: [attr('k8s.namespace.name', 'shop'), attr('k8s.pod.name', pod.metadata.name)] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: 'ERROR by name' } }] }],
        },
        {
          resource: { attributes: [attr('k8s.pod.uid', 'uid-unknown')] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: 'ERROR unknown pod' } }] }],
        },
      ],
    };
    // OTLP records do not wait for a pod: the first request may come before the pods are listed
    let got: Out[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      const r = await fetch(`http://${address}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(r.status).toBe(200);
      got = await until(
        () => events(out),
        (e) => e.length >= 3 * (attempt + 1),
        'the events',
      );
      if (got.at(-3)?.attributes.team === 'payments') break;
    }
    const last = new Map(got.slice(-3).map((e) => [e.content, e.attributes]));
    expect(last.get('ERROR by uid')).toEqual({ team: 'payments', workload: 'checkout', uid: 'uid-pay' });
    expect(last.get('ERROR by name')).toEqual({ team: 'payments', workload: 'checkout', uid: 'uid-pay' });
    expect(last.get('ERROR unknown pod')).toEqual({ team: '', workload: '', uid: 'uid-unknown' });
  });
});
