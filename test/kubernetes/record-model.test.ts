import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDir, startCli } from '../helpers/cli.ts';
import { deploymentPod, FakeKubeApi } from '../helpers/fake-kube-api.ts';
import { until } from '../file/e2e-helpers.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Ev = Record<string, unknown> & { id: string; content: string };
const parseLines = (text: string): Ev[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
const withoutId = ({ id: _id, ...rest }: Ev) => rest;

describe('one record model: eval, test and run give the same event for the same input', () => {
  it('a CRI file of a pod (partial lines merged, pod metadata) and a plain file with leading timestamps', {
    timeout: 120_000,
  }, async () => {
    const scratch = scratchDir('l2e-k8s-model-');
    cleanups.push(() => scratch.cleanup());
    const api = await new FakeKubeApi().start();
    cleanups.push(() => api.stop());
    const root = scratch.dir;
    const pod = deploymentPod({
      uid: '6f1c2d3e-0000-4000-8000-000000000001',
      namespace: 'shop',
      deployment: 'checkout',
      labels: { team: 'payments' },
      container: 'api',
      image: 'registry.example.com/checkout:7',
    });
    api.upsert(pod);
    const podJson = join(root, 'pod.json');
    writeFileSync(podJson, JSON.stringify(pod));
    const dir = join(root, 'pods', `shop_${pod.metadata.name}_${pod.metadata.uid}`, 'api');
    mkdirSync(dir, { recursive: true });
    const criPath = join(dir, '0.log');
    const criText =
      [
        '2026-12-02T04:00:00.123456789Z stderr P ERROR payment ',
        '2026-12-02T04:00:00.123456790Z stderr P declined for ',
        '2026-12-02T04:00:00.123456791Z stderr F order 42',
        '2026-12-02T04:00:01.000000000Z stdout F INFO all fine',
        '2026-12-02T04:00:02.000000000Z stdout F WARN ERROR budget at 90%',
      ].join('\n') + '\n';
    writeFileSync(criPath, criText);
    const plainPath = join(root, 'app.log');
    const plainText = '2026-12-02T04:00:00Z ERROR database unreachable\n2026-12-02 04:00:05,250 ERROR still unreachable\n';
    writeFileSync(plainPath, plainText);

    const config = scratch.write(
      'config.yaml',
      `state_dir: ${join(root, 'state')}
kubernetes: { kubeconfig: ${api.writeKubeconfig(join(root, 'kubeconfig'))}, node_name: node-a, labels: [team] }
sources:
  pods: { type: file, include: ["${root}/pods/*/*/*.log"], format: cri, start_at: beginning, poll_interval: 100ms }
  app: { type: file, include: ["${plainPath}"], format: plain, start_at: beginning, poll_interval: 100ms }
sinks:
  out: { type: file, path: ${join(root, 'out.jsonl')}, fsync: false, concurrency: 1 }
rules:
  - name: errors
    when: { contains: ERROR }
    event:
      name: AppError
      severity: "{{severity}}"
      content: "{{body}}"
      resource: { id: "{{resource.k8s.pod.uid}}", name: "{{resource.k8s.namespace.name}}/{{resource.k8s.deployment.name}}" }
      attributes:
        team: "{{resource.k8s.pod.labels.team}}"
        node: "{{resource.k8s.node.name}}"
        image: "{{resource.k8s.container.image}}"
        container: "{{resource.k8s.container.name}}"
        stream: "{{attributes.log.iostream}}"
        file: "{{attributes.log.file.name}}"
    to: [out]
`,
    );
    const agent = await startCli(['run', '-c', config]);
    cleanups.push(async () => {
      agent.child.kill('SIGTERM');
      await agent.exited;
    });
    const outPath = join(root, 'out.jsonl');
    const read = () => {
      try {
        return parseLines(readFileSync(outPath, 'utf8'));
      } catch {
        return [];
      }
    };
    const ran = await until(read, (e) => e.length === 4, 'four events from run', 60_000);
    const runCri = ran.filter((e) => (e['attributes'] as Record<string, string>)['file'] === '0.log').map(withoutId);
    const runPlain = ran.filter((e) => (e['attributes'] as Record<string, string>)['file'] === 'app.log').map(withoutId);
    expect(runCri).toHaveLength(2);
    expect(runCri[0]).toMatchObject({
      content: 'ERROR payment declined for order 42',
      time: Date.parse('2026-12-02T04:00:00.123Z'),
      resource: { id: pod.metadata.uid, name: 'shop/checkout' },
      attributes: { team: 'payments', node: 'node-a', image: 'registry.example.com/checkout:7', container: 'api', stream: 'stderr' },
    });
    expect(runPlain.map((e) => e['time'])).toEqual([Date.parse('2026-12-02T04:00:00Z'), Date.parse('2026-12-02T04:00:05.250Z')]);

    // eval: the same lines, read as the same file of the same pod
    const evalCri = await runCli(['eval', '-c', config, '--source', 'pods', '--format', 'cri', '--path', criPath, '--pod', podJson], {
      input: criText,
    });
    expect(evalCri.stderr).toBe('');
    expect(parseLines(evalCri.stdout).map(withoutId)).toEqual(runCri);
    const evalPlain = await runCli(['eval', '-c', config, '--source', 'app', '--format', 'plain', '--path', plainPath], {
      input: plainText,
    });
    expect(parseLines(evalPlain.stdout).map(withoutId)).toEqual(runPlain);
    // the path alone names the pod: a /var/log/pods path as on a node
    const nodePath = `/var/log/pods/shop_${pod.metadata.name}_${pod.metadata.uid}/api/0.log`;
    const evalNode = await runCli(['eval', '-c', config, '--format', 'cri', '--path', nodePath, '--pod', podJson], { input: criText });
    expect(parseLines(evalNode.stdout).map(withoutId)).toEqual(runCri);

    // test: a case with the same path, format and pod expects exactly run's events
    const tests = scratch.write(
      'tests.yaml',
      JSON.stringify([
        { name: 'cri of a pod', source: 'pods', format: 'cri', path: criPath, pod, input: criText, expect: runCri },
        { name: 'plain with timestamps', source: 'app', format: 'plain', path: plainPath, input: plainText, expect: runPlain },
      ]),
    );
    const tested = await runCli(['test', '-c', config, '--tests', tests]);
    expect(tested.stdout).toContain('2 rule test(s): 2 passed, 0 failed');
    expect(tested.code).toBe(0);

    const bad = await runCli(['eval', '-c', config, '--format', 'xml'], { input: '' });
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/--format: one of plain, json, cri, docker, auto/);
    expect(bad.code).not.toBe(0);
  });
});
