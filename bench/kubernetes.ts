/**
 * Resident memory of the agent running each config that deploy/kubernetes/ embeds, as the
 * container image runs it: the standalone executable (`npm run package` first), with the
 * runtime profile it picks by itself. The figures behind the manifests' memory requests.
 *
 *   node bench/kubernetes.ts [--exe dist/release/log2events] [--idle-seconds 15] [--busy-seconds 20] [--rate 2000]
 *
 * For each manifest: the agent starts with its volumes mounted in a scratch directory (see
 * test/helpers/kubernetes.ts) and its cloud sink pointed at an emulator in another process (not
 * counted). `idle`: RSS after --idle-seconds without input. `busy`: for --busy-seconds, --rate
 * log lines/s appended to a file it tails and, when it receives OTLP, as many records/s in
 * OTLP/HTTP JSON requests of 100; 1% of them match a rule and become events. Printed: RSS at
 * the end and the peak (VmHWM) over the whole run, in MiB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { agents, loadManifests, localPath, mountLocally, type Agent } from '../test/helpers/kubernetes.ts';
import { EMULATOR_CREDENTIALS } from '../src/emulator/credentials.ts';
import { deploymentPod, FakeKubeApi } from '../test/helpers/fake-kube-api.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    exe: { type: 'string', default: join(root, 'dist/release/log2events') },
    'idle-seconds': { type: 'string', default: '15' },
    'busy-seconds': { type: 'string', default: '20' },
    rate: { type: 'string', default: '2000' },
  },
});
const exe = resolve(values.exe);
if (!existsSync(exe)) throw new Error(`${exe}: no such executable (npm run package builds it)`);
const idleS = Number(values['idle-seconds']);
const busyS = Number(values['busy-seconds']);
const rate = Number(values.rate);

/** Starts a child and resolves with the first line of its output that matches. */
function startUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  match: RegExp,
): Promise<{ child: ChildProcess; line: string; output: () => string }> {
  return new Promise((res, rej) => {
    const child = spawn(exe, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const on = (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => match.test(l));
      if (line && !done) {
        done = true;
        res({ child, line, output: () => out });
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => !done && rej(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

/** Resident memory in MiB: all of it, its anonymous part (the heap), and the peak; CPU seconds so far. */
function sample(pid: number): { rss: number; anon: number; hwm: number; cpu: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  const statText = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const stat = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  return {
    rss: kib('VmRSS') / 1024,
    anon: kib('RssAnon') / 1024,
    hwm: kib('VmHWM') / 1024,
    cpu: (Number(stat[11]) + Number(stat[12])) / 100,
  };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function otlpBody(n: number, count: number): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const logRecords = Array.from({ length: count }, (_, i) => ({
    timeUnixNano: String(now),
    severityNumber: 17,
    severityText: 'ERROR',
    body: {
      stringValue: (n * count + i) % 100 === 0 ? `payment failed for order ${n * count + i}` : `request ${n * count + i} served in 12 ms`,
    },
    attributes: [{ key: 'http.route', value: { stringValue: '/checkout' } }],
  }));
  return JSON.stringify({
    resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeLogs: [{ logRecords }] }],
  });
}

async function measure(file: string, agent: Agent, emulatorUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'l2e-k8s-bench-'));
  const otlpPort = await freePort();
  const hasOtlp = /type: otlp/.test(agent.configText);
  // A config with kubernetes: reads pod metadata from a fake API server in this process (not counted).
  const api = /^kubernetes:/m.test(agent.configText) ? await new FakeKubeApi().start() : undefined;
  api?.upsert(
    deploymentPod({ uid: '1f0e2c4a-0000-4000-8000-000000000001', name: 'shop-7d9f', namespace: 'shop', node: 'node-a', container: 'shop' }),
  );
  const local = mountLocally(agent, dir, {
    listen: {
      'admin.listen': '127.0.0.1:0',
      ...(hasOtlp ? { 'sources.otlp.http.listen': `127.0.0.1:${otlpPort}`, 'sources.otlp.grpc.listen': '127.0.0.1:0' } : {}),
      ...(api ? { 'kubernetes.kubeconfig': api.writeKubeconfig(join(dir, 'kubeconfig')) } : {}),
    },
    edit: (doc) => {
      for (const name of Object.keys((doc.toJS() as { sinks: Record<string, unknown> }).sinks))
        doc.setIn(['sinks', name, 'endpoint'], emulatorUrl);
    },
  });
  // A log file where the config's glob looks: a plain file for the sidecar, a CRI file of a
  // pod linked from /var/log/containers for the node agent.
  const config = parse(readFileSync(local.configFile, 'utf8')) as { sources: Record<string, { type: string; include?: string[] }> };
  const include = Object.values(config.sources).find((s) => s.type === 'file')!.include![0]!;
  let logFile: string;
  let line: (i: number) => string;
  if (include.includes('/containers/')) {
    const pods = join(localPath(local.mounts, '/var/log'), 'pods/shop_shop-7d9f_1f0e2c4a-0000-4000-8000-000000000001/shop');
    mkdirSync(pods, { recursive: true });
    logFile = join(pods, '0.log');
    appendFileSync(logFile, '');
    const containers = join(localPath(local.mounts, '/var/log'), 'containers');
    mkdirSync(containers, { recursive: true });
    symlinkSync(logFile, join(containers, `shop-7d9f_shop_shop-${'ab'.repeat(32)}.log`));
    line = (i) =>
      `${new Date().toISOString()} stdout F ${i % 100 === 0 ? 'java.lang.OutOfMemoryError: Java heap space' : `request ${i} served in 12 ms`}\n`;
  } else {
    logFile = include.replace('*.log', 'app.log');
    appendFileSync(logFile, '');
    line = (i) =>
      `${new Date().toISOString()} ${i % 100 === 0 ? `ERROR payment failed for order ${i}` : `INFO request ${i} served in 12 ms`}\n`;
  }
  const env = {
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.aws.secretAccessKey,
    K8S_NODE_NAME: 'node-a',
  };
  const { child, line: started } = await startUntil(['run', '-c', local.configFile], env, /"msg":"started"/);
  const runtime = (JSON.parse(started) as { runtime: string }).runtime;
  await sleep(idleS * 1000);
  const idle = sample(child.pid!);

  let i = 0;
  let requests = 0;
  const tickMs = 100;
  const t0 = Date.now();
  while (Date.now() - t0 < busyS * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    let chunk = '';
    for (; i < due; i++) chunk += line(i);
    if (chunk) appendFileSync(logFile, chunk);
    if (hasOtlp) {
      const dueRequests = Math.floor(((Date.now() - t0) / 1000) * (rate / 100));
      const sends: Promise<Response>[] = [];
      for (; requests < dueRequests; requests++)
        sends.push(
          fetch(`http://127.0.0.1:${otlpPort}/v1/logs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: otlpBody(requests, 100),
          }),
        );
      await Promise.all(sends);
    }
    await sleep(tickMs);
  }
  await sleep(2000);
  const busy = sample(child.pid!);
  const cpuShare = (busy.cpu - idle.cpu) / (busyS + 2);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
  const name = `${file} ${agent.workload.kind}/${agent.workload.metadata.name}`;
  console.log(
    `${name}: runtime ${runtime}; idle ${idleS} s: RSS ${idle.rss.toFixed(1)} MiB (anonymous ${idle.anon.toFixed(1)}); ` +
      `busy ${busyS} s at ${rate} lines/s${hasOtlp ? ` + ${rate} OTLP records/s` : ''}: RSS ${busy.rss.toFixed(1)} MiB (anonymous ${busy.anon.toFixed(1)}), peak ${busy.hwm.toFixed(1)} MiB, CPU ${(cpuShare * 1000).toFixed(0)}m`,
  );
}

const emulator = await startUntil(['emulator', '--listen', '127.0.0.1:0'], {}, /listening on http/);
const emulatorUrl = /(http:\/\/[^\s]+)/.exec(emulator.line)![1]!;
try {
  for (const file of ['sidecar.yaml', 'daemonset.yaml']) {
    for (const agent of agents(loadManifests(join(root, 'deploy/kubernetes', file)))) await measure(file, agent, emulatorUrl);
  }
} finally {
  emulator.child.kill('SIGTERM');
}
