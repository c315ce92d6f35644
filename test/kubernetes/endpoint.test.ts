import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inClusterEndpoint, kubeconfigEndpoint } from '../../src/kubernetes/endpoint.ts';

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
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, join(dir, 'missing'))).toEqual({ ok: false, error: expect.stringMatching(/^kubernetes: cannot read the service account CA/) });
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
    expect([r.endpoint.ca?.toString(), r.endpoint.cert?.toString(), r.endpoint.key?.toString(), r.endpoint.token?.()]).toEqual(['CA-B', 'CERT', 'KEY', 'file-token']);
    expect(kubeconfigEndpoint(join(dir, 'nope'))).toEqual({ ok: false, error: expect.stringMatching(/^kubernetes\.kubeconfig: cannot read /) });
    writeFileSync(kubeconfig, 'apiVersion: v1\nclusters: []\n');
    expect(kubeconfigEndpoint(kubeconfig)).toEqual({ ok: false, error: expect.stringMatching(/no cluster server/) });
  });
});
