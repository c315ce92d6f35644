import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INSTALLED, REPO, runCli, scratchDir } from '../helpers/cli.ts';
import { agents, loadManifests, localPath, mountLocally, mountOf, type Agent, type KubeObject } from '../helpers/kubernetes.ts';
import { deploymentPod, FakeKubeApi } from '../helpers/fake-kube-api.ts';

/**
 * deploy/kubernetes/: every object is valid for the Kubernetes API (the OpenAPI schemas of the
 * `kubernetes-models` package), the log2events containers agree with the config they embed and
 * with the image (Dockerfile), and that config passes `validate` and runs: probes answered on
 * the admin port, a log line delivered to the emulated cloud, a clean stop.
 */
const DIR = join(REPO, 'deploy/kubernetes');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

type Model = new (data: object) => { validate(): void };
/** The kubernetes-models class for an object's apiVersion and kind (core objects live under v1/). */
async function model(obj: KubeObject): Promise<Model> {
  const mod = (await import(/* @vite-ignore */ `kubernetes-models/${obj.apiVersion}/${obj.kind}`)) as Record<string, Model>;
  const cls = mod[obj.kind];
  if (!cls) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  return cls;
}

interface Config {
  state_dir: string;
  admin?: { listen: string };
  delivery?: { shutdown_timeout?: string; spool?: { max_bytes?: string } };
  sources: Record<string, { type: string; include?: string[] }>;
  sinks: Record<string, { type: string; path?: string }>;
  kubernetes?: { kubeconfig?: string; node_name?: string };
}
const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);
const mib = (size: string) => {
  const m = /^(\d+)(Mi|MiB|Gi|GiB)$/.exec(size);
  if (!m) throw new Error(`size: ${size}`);
  return Number(m[1]) * (m[2]!.startsWith('G') ? 1024 : 1);
};

/** The Dockerfile's final stage: its numeric USER and its ENTRYPOINT. */
function image(): { uid: number; gid: number; entrypoint: string[] } {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const last = text.slice(text.lastIndexOf('\nFROM '));
  const user = /^USER (\d+):(\d+)$/m.exec(last);
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(last);
  if (!user || !entry) throw new Error('Dockerfile: the final stage needs USER uid:gid and an exec-form ENTRYPOINT');
  return { uid: Number(user[1]), gid: Number(user[2]), entrypoint: JSON.parse(entry[1]!) as string[] };
}

const all = FILES.map((file) => ({ file, docs: loadManifests(join(DIR, file)) }));
const found = all.flatMap(({ file, docs }) =>
  agents(docs).map((agent) => ({ file, docs, agent, config: parse(agent.configText) as Config })),
);
const label = (a: Agent) => `${a.workload.kind}/${a.workload.metadata.name}`;

describe('deploy/kubernetes manifests', () => {
  it('has a log2events container in each file', () => {
    expect(FILES.sort()).toEqual(['daemonset.yaml', 'sidecar.yaml']);
    expect(found.map((f) => `${f.file}: ${label(f.agent)}`)).toEqual([
      'daemonset.yaml: DaemonSet/log2events',
      'sidecar.yaml: Deployment/shop',
    ]);
  });

  it.each(all.flatMap(({ file, docs }) => docs.map((d) => [file, `${d.kind}/${d.metadata.name}`, d] as const)))(
    '%s: %s is valid against the Kubernetes OpenAPI schema',
    async (_f, _n, obj) => {
      const Model = await model(obj);
      expect(() => new Model(obj).validate()).not.toThrow();
    },
  );

  it('has no field the Kubernetes API does not know (what kubectl --validate=strict refuses)', () => {
    // The schemas leave unknown fields alone; kubernetes-models' TypeScript types do not: each
    // object is compiled as an object literal of its type, whose excess properties are errors.
    // One deliberately misspelled object shows that the check fails.
    const dir = scratchDir('l2e-k8s-types-');
    const objects = [
      ...all.flatMap(({ file, docs }) => docs.map((d) => ({ where: `${file} ${d.kind}/${d.metadata.name}`, d }))),
      { where: 'misspelled', d: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x', namspace: 'y' } } as KubeObject },
    ];
    const kinds = [...new Set(objects.map(({ d }) => `${d.apiVersion}/${d.kind}`))];
    const source = [
      ...kinds.map(
        (k, i) =>
          `import type { I${k.split('/').pop()} as T${i} } from ${JSON.stringify(join(REPO, 'node_modules/kubernetes-models', `${k}.js`))};`,
      ),
      ...objects.map(
        ({ where, d }, i) => `// ${where}\nexport const o${i}: T${kinds.indexOf(`${d.apiVersion}/${d.kind}`)} = ${JSON.stringify(d)};`,
      ),
    ].join('\n');
    writeFileSync(join(dir.dir, 'manifests.ts'), source);
    writeFileSync(
      join(dir.dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2024',
          skipLibCheck: true,
          types: [],
        },
        files: ['manifests.ts'],
      }),
    );
    const r = spawnSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', dir.dir], { encoding: 'utf8' });
    const errors = r.stdout.split('\n').filter((l) => l.includes('error TS'));
    expect(errors.length, r.stdout + r.stderr).toBe(1);
    expect(errors[0]).toMatch(/namspace\W* does not exist in type/);
    dir.cleanup();
  });

  it('the schema check refuses a broken object (it can fail)', async () => {
    const ds = structuredClone(all.find((a) => a.file === 'daemonset.yaml')!.docs.find((d) => d.kind === 'DaemonSet')!);
    (ds.spec as { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } }).template.spec.containers[0]!
      .ports[0]!.containerPort = 'admin';
    const Model = await model(ds);
    expect(() => new Model(ds).validate()).toThrow(/containerPort must be integer/);
  });

  describe.each(found)('$file: the log2events container', ({ file, docs, agent, config }) => {
    const { container, pod, workload } = agent;

    it('runs the image as its numeric user (or, reading the node’s logs, as root without capabilities) on a read-only root', () => {
      const { uid, gid, entrypoint } = image();
      expect(container.image).toMatch(new RegExp(`/log2events:${pkg.version.replace(/\./g, '\\.')}$`));
      expect(entrypoint).toEqual(['/usr/bin/log2events']);
      expect(container.args?.[0]).toBe('run');
      const sc = container.securityContext as {
        runAsUser: number;
        runAsGroup: number;
        runAsNonRoot: boolean;
        readOnlyRootFilesystem: boolean;
        allowPrivilegeEscalation: boolean;
        capabilities: { drop: string[]; add?: string[] };
      };
      expect(Number.isInteger(sc.runAsUser) && Number.isInteger(sc.runAsGroup)).toBe(true);
      if (sc.runAsUser === 0) {
        // The node agent: root only to read /var/log/pods (root's files), every capability dropped.
        expect(sc).toMatchObject({ runAsGroup: 0, runAsNonRoot: false, capabilities: { drop: ['ALL'] } });
        expect(sc.capabilities.add ?? []).toEqual([]);
        expect(mountOf(container, '/var/log')?.readOnly).toBe(true);
      } else {
        expect(sc).toMatchObject({ runAsUser: uid, runAsGroup: gid, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      }
      expect(sc).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    });

    it('has its ServiceAccount defined, with an API token only to read pods when its config has kubernetes:', () => {
      const sa = docs.find(
        (d) =>
          d.kind === 'ServiceAccount' && d.metadata.name === pod.serviceAccountName && d.metadata.namespace === workload.metadata.namespace,
      );
      expect(sa, `ServiceAccount ${pod.serviceAccountName}`).toBeDefined();
      const roles = docs.filter((d) => /Role/.test(d.kind));
      if (!config.kubernetes) {
        expect(sa!['automountServiceAccountToken']).toBe(false);
        expect(roles).toEqual([]);
        return;
      }
      // pod metadata: the token mounted, get/list/watch on pods and nothing else, the node from the downward API
      expect([
        sa!['automountServiceAccountToken'],
        (pod as { automountServiceAccountToken?: boolean }).automountServiceAccountToken,
      ]).not.toContain(false);
      const role = roles.find((d) => d.kind === 'ClusterRole');
      expect(role?.['rules']).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
      const binding = roles.find((d) => d.kind === 'ClusterRoleBinding');
      expect(binding).toMatchObject({
        roleRef: { kind: 'ClusterRole', name: role!.metadata.name },
        subjects: [{ kind: 'ServiceAccount', name: sa!.metadata.name, namespace: sa!.metadata.namespace }],
      });
      expect(roles).toHaveLength(2);
      const env = (container as { env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }).env ?? [];
      expect(env.find((e) => e.name === (config.kubernetes!.node_name ? undefined : 'K8S_NODE_NAME'))?.valueFrom?.fieldRef?.fieldPath).toBe(
        'spec.nodeName',
      );
    });

    it('probes /healthz and /readyz on the admin port of its config', () => {
      const adminPort = Number(config.admin!.listen.split(':').pop());
      expect(config.admin!.listen).toMatch(/^0\.0\.0\.0:/); // the kubelet probes the pod's address
      const port = (ref: number | string | undefined) =>
        typeof ref === 'string' ? container.ports!.find((p) => p.name === ref)?.containerPort : ref;
      expect(port(container.readinessProbe?.httpGet?.port)).toBe(adminPort);
      expect(port(container.livenessProbe?.httpGet?.port)).toBe(adminPort);
      expect([container.readinessProbe?.httpGet?.path, container.livenessProbe?.httpGet?.path]).toEqual(['/readyz', '/healthz']);
    });

    it('keeps every path of its config on a volume: state on a writable one, logs on a read-only one', () => {
      const state = mountOf(container, config.state_dir);
      expect(state, `state_dir ${config.state_dir}`).toBeDefined();
      expect(state!.readOnly ?? false).toBe(false);
      for (const source of Object.values(config.sources).filter((s) => s.type === 'file')) {
        for (const glob of source.include ?? []) expect(mountOf(container, glob)?.readOnly, glob).toBe(true);
      }
      expect(mountOf(container, '/tmp'), 'a writable /tmp on a read-only root').toBeDefined();
      // An emptyDir spool is bounded: the spool's bytes plus sqlite's pages and WAL fit in it.
      const volume = pod.volumes!.find((v) => v.name === state!.name)!;
      if (volume.emptyDir) expect(mib(volume.emptyDir.sizeLimit!)).toBeGreaterThanOrEqual(2 * mib(config.delivery!.spool!.max_bytes!) + 64);
    });

    it('gives the pod more time to stop than delivery.shutdown_timeout', () => {
      const drain = seconds(config.delivery?.shutdown_timeout ?? '25s');
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drain + 5);
    });

    it('requests at least the memory the agent was measured to hold with this config', () => {
      const text = readFileSync(join(DIR, file), 'utf8');
      const measured = [...text.matchAll(/peak (\d+(?:\.\d+)?) MiB/g)].map((m) => Number(m[1]));
      expect(measured.length, 'the measured peak RSS is quoted next to the request').toBeGreaterThan(0);
      expect(mib(container.resources!.requests!.memory!)).toBeGreaterThanOrEqual(Math.max(...measured));
      expect(mib(container.resources!.limits!.memory!)).toBeGreaterThan(mib(container.resources!.requests!.memory!));
    });

    it('embeds a config that passes validate', async () => {
      const s = scratchDir();
      const file = s.write('config.yaml', agent.configText);
      const r = await runCli(['validate', '-c', file], { command: INSTALLED });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      s.cleanup();
    });

    it('runs that config with its volumes mounted locally: probes answer, a log line reaches the emulated cloud, SIGTERM stops it cleanly', async () => {
      const s = scratchDir('l2e-k8s-');
      // With kubernetes:, a fake API server stands in for the cluster's (the pod below is on it).
      const api = config.kubernetes ? await new FakeKubeApi().start() : undefined;
      api?.upsert(
        deploymentPod({
          uid: '1f0e2c4a-0000-4000-8000-000000000001',
          name: 'shop-7d9f',
          namespace: 'shop',
          node: 'node-a',
          container: 'shop',
        }),
      );
      const local = mountLocally(agent, s.dir, {
        listen: {
          'admin.listen': '127.0.0.1:0',
          ...(Object.values(config.sources).some((x) => x.type === 'otlp')
            ? { 'sources.otlp.http.listen': '127.0.0.1:0', 'sources.otlp.grpc.listen': '127.0.0.1:0' }
            : {}),
          ...(api ? { 'kubernetes.kubeconfig': api.writeKubeconfig(join(s.dir, 'kubeconfig')) } : {}),
        },
      });
      const glob = Object.values(config.sources).find((x) => x.type === 'file')!.include![0]!;
      let logFile: string;
      let line: string;
      if (glob.includes('/containers/')) {
        // the node's layout: /var/log/containers/<pod>_<ns>_<container>-<id>.log -> /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log
        const podDir = localPath(local.mounts, '/var/log/pods/shop_shop-7d9f_1f0e2c4a-0000-4000-8000-000000000001/shop');
        mkdirSync(podDir, { recursive: true });
        logFile = join(podDir, '0.log');
        writeFileSync(logFile, '');
        mkdirSync(localPath(local.mounts, '/var/log/containers'), { recursive: true });
        symlinkSync(logFile, localPath(local.mounts, `/var/log/containers/shop-7d9f_shop_shop-${'ab'.repeat(32)}.log`));
        line = '2026-11-24T10:00:00.000000000Z stdout F java.lang.OutOfMemoryError: Java heap space\n';
      } else {
        logFile = localPath(local.mounts, glob.replace('*.log', 'app.log'));
        writeFileSync(logFile, '');
        line = '2026-11-24T10:00:00Z ERROR payment failed for order 42\n';
      }

      const child = spawn(INSTALLED[0]!, ['run', '-c', local.configFile, '--emulator'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, K8S_NODE_NAME: 'node-a' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let gone = false;
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      void exited.then(() => (gone = true));
      const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
        for (let i = 0; i < 600; i++) {
          if (await ok()) return;
          if (gone) throw new Error(`log2events exited while waiting for ${what}:\n${stderr}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`timed out waiting for ${what}:\n${stderr}`);
      };
      await until('started', () => stderr.includes('"msg":"started"'));
      const started = JSON.parse(stderr.split('\n').find((l) => l.includes('"msg":"started"'))!) as { admin: string };
      expect((await fetch(`${started.admin}/healthz`)).status).toBe(200);
      await until('/readyz 200', async () => (await fetch(`${started.admin}/readyz`)).status === 200);

      appendFileSync(logFile, line);
      await until('an event delivered', async () =>
        /log2events_delivered_total\{[^}]*\} [1-9]/.test(await (await fetch(`${started.admin}/metrics`)).text()),
      );
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
      const emulated = JSON.parse(stderr.split('\n').find((l) => l.includes('"emulator summary"'))!) as {
        stats: Record<string, { accepted: number }>;
      };
      expect(Object.values(emulated.stats).reduce((n, p) => n + p.accepted, 0)).toBe(1);
      await api?.stop();
      s.cleanup();
    });
  });
});

describe('the Dockerfile (no Docker engine here: its steps checked against the repository)', () => {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const [build, final] = text.split(/\nFROM /).slice(1) as [string, string];
  const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').filter(Boolean);

  it('copies into the build stage only files that exist and are not docker-ignored', () => {
    const sources = [...build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'scripts', 'src']));
    for (const src of sources) {
      expect(existsSync(join(REPO, src)), src).toBe(true);
      expect(
        ignored.some((i) => src === i || src.startsWith(`${i}/`)),
        `${src} is docker-ignored`,
      ).toBe(false);
    }
  });

  it('builds the executable with scripts/package.js and ships it as the ENTRYPOINT, the state dir owned by USER', () => {
    const { uid, gid, entrypoint } = image();
    const run = /^RUN (node scripts\/package\.js[^&\n]*?)\s*&&(.*)$/m.exec(build);
    expect(run, 'RUN node scripts/package.js ...').not.toBeNull();
    for (const flag of run![1]!.match(/--[\w-]+/g) ?? [])
      expect(readFileSync(join(REPO, 'scripts/package.js'), 'utf8')).toContain(`'${flag.slice(2)}'`);
    // package.js writes dist/release/log2events by default; the final stage takes it from /rootfs
    expect(run![2]).toContain(`cp dist/release/log2events /rootfs${entrypoint[0]}`);
    expect(final).toContain(`COPY --from=build /rootfs${entrypoint[0]} ${entrypoint[0]}`);
    expect(final).toContain(`COPY --from=build --chown=${uid}:${gid} /rootfs/var/lib/log2events /var/lib/log2events`);
    expect(final).toMatch(/^EXPOSE .*\b8686\b/m);
    expect(final).toMatch(/^gcr\.io\/distroless\/cc-debian12/); // the final FROM
  });
});
