import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/kubernetes/api-client.ts';
import { inClusterEndpoint, kubeconfigEndpoint } from '../../src/kubernetes/endpoint.ts';
import { deploymentPod, FakeKubeApi } from '../helpers/fake-kube-api.ts';
import { hasOpenssl } from '../helpers/openssl.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'l2e-k8s-ep-'));
  dirs.push(d);
  return d;
};

describe('how the API server is reached', () => {
  it('in a pod: the service host and port, the service account token and CA', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    const r = inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir);
    if (!r.ok) throw new Error(r.error);
    expect(r.endpoint.server.href).toBe('https://[fd00::1]:6443/');
    expect(r.endpoint.token?.()).toBe('sa-token');
    expect(r.endpoint.ca?.toString()).toBe('CA');
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, join(dir, 'missing'))).toEqual({
      ok: false,
      error: expect.stringMatching(/^kubernetes: cannot read the service account CA/),
    });
  });

  it('from a kubeconfig: the current context’s server, CA data, client certificate or token file', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'tok'), 'file-token');
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
current-context: b
clusters:
- { name: a, cluster: { server: "https://a.example:6443" } }
- { name: b, cluster: { server: "https://b.example:6443", certificate-authority-data: ${Buffer.from('CA-B').toString('base64')} } }
users:
- { name: u, user: { tokenFile: tok, client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')} } }
contexts:
- { name: a, context: { cluster: a, user: u } }
- { name: b, context: { cluster: b, user: u } }
`,
    );
    const r = kubeconfigEndpoint(kubeconfig);
    if (!r.ok) throw new Error(r.error);
    expect(r.endpoint.server.host).toBe('b.example:6443');
    expect([r.endpoint.ca?.toString(), r.endpoint.cert?.toString(), r.endpoint.key?.toString(), r.endpoint.token?.()]).toEqual([
      'CA-B',
      'CERT',
      'KEY',
      'file-token',
    ]);
    expect(kubeconfigEndpoint(join(dir, 'nope'))).toEqual({
      ok: false,
      error: expect.stringMatching(/^kubernetes\.kubeconfig: cannot read /),
    });
    writeFileSync(kubeconfig, 'apiVersion: v1\nclusters: []\n');
    expect(kubeconfigEndpoint(kubeconfig)).toEqual({ ok: false, error: expect.stringMatching(/no cluster server/) });
  });
});

describe.skipIf(!hasOpenssl())('in a pod, over TLS', () => {
  it('lists pods from an HTTPS API server with the service account CA and token; another CA is refused', async () => {
    const dir = scratch();
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kube-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=other-ca',
      '-keyout',
      'other.key',
      '-out',
      'other.crt',
    );
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kubernetes', '-keyout', 'server.key', '-out', 'server.csr');
    run(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      'server.crt',
      '-extfile',
      'server.ext',
    );
    writeFileSync(join(dir, 'token'), 'fake-token');
    const api = await new FakeKubeApi({ cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')) }).start();
    try {
      api.upsert(deploymentPod({ uid: 'u1' }));
      const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
      const good = inClusterEndpoint(env, dir);
      if (!good.ok) throw new Error(good.error);
      const client = new ApiClient(good.endpoint);
      const r = await client.get('/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a', AbortSignal.timeout(10_000));
      client.close();
      expect(r.ok && (r.value as { items: unknown[] }).items).toHaveLength(1);
      const otherDir = scratch();
      writeFileSync(join(otherDir, 'token'), 'fake-token');
      writeFileSync(join(otherDir, 'ca.crt'), readFileSync(join(dir, 'other.crt')));
      const bad = inClusterEndpoint(env, otherDir);
      if (!bad.ok) throw new Error(bad.error);
      const refused = new ApiClient(bad.endpoint);
      const r2 = await refused.get('/api/v1/pods', AbortSignal.timeout(10_000));
      refused.close();
      expect(r2).toEqual({ ok: false, error: { kind: 'failed', message: expect.stringMatching(/certificate/i) } });
    } finally {
      await api.stop();
    }
  });
});
