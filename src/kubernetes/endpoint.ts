import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { SERVICE_ACCOUNT_DIR } from './config.ts';

/** How to reach the API server: its URL, TLS material and how to authenticate. */
export interface ApiEndpoint {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  /** The bearer token, read on each request (projected service-account tokens are rotated). */
  token?: () => string | undefined;
}

export type EndpointResult = { ok: true; endpoint: ApiEndpoint } | { ok: false; error: string };

/** In a pod: `KUBERNETES_SERVICE_HOST`/`_PORT`, and the service account's token and CA. */
export function inClusterEndpoint(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): EndpointResult {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (!host) return { ok: false, error: 'kubernetes: KUBERNETES_SERVICE_HOST is not set (not in a pod?): give kubernetes.kubeconfig' };
  let ca: Buffer;
  try {
    ca = readFileSync(join(dir, 'ca.crt'));
  } catch (err) {
    return { ok: false, error: `kubernetes: cannot read the service account CA: ${(err as Error).message}` };
  }
  const tokenFile = join(dir, 'token');
  const token = cachedFile(tokenFile);
  if (token() === undefined) return { ok: false, error: `kubernetes: cannot read the service account token ${tokenFile}` };
  return { ok: true, endpoint: { server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`), ca, token } };
}

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user?: string } }[];
  clusters?: {
    name: string;
    cluster: {
      server: string;
      'certificate-authority'?: string;
      'certificate-authority-data'?: string;
      'insecure-skip-tls-verify'?: boolean;
    };
  }[];
  users?: {
    name: string;
    user: {
      token?: string;
      tokenFile?: string;
      'client-certificate'?: string;
      'client-certificate-data'?: string;
      'client-key'?: string;
      'client-key-data'?: string;
    };
  }[];
}

/** The current context of a kubeconfig file: server, CA, and a token or client certificate. */
export function kubeconfigEndpoint(path: string): EndpointResult {
  let doc: Kubeconfig;
  try {
    doc = parse(readFileSync(path, 'utf8')) as Kubeconfig;
  } catch (err) {
    return { ok: false, error: `kubernetes.kubeconfig: cannot read ${path}: ${(err as Error).message}` };
  }
  const fail = (why: string): EndpointResult => ({ ok: false, error: `kubernetes.kubeconfig ${path}: ${why}` });
  if (!doc || typeof doc !== 'object') return fail('not a kubeconfig');
  const contextName = doc['current-context'];
  const context = doc.contexts?.find((c) => c.name === contextName)?.context ?? doc.contexts?.[0]?.context;
  const cluster = doc.clusters?.find((c) => c.name === context?.cluster)?.cluster ?? (context ? undefined : doc.clusters?.[0]?.cluster);
  if (!cluster?.server) return fail('no cluster server for the current context');
  const user = doc.users?.find((u) => u.name === context?.user)?.user;
  const base = dirname(path);
  const file = (p: string) => readFileSync(isAbsolute(p) ? p : join(base, p));
  try {
    const endpoint: ApiEndpoint = { server: new URL(cluster.server) };
    const ca = material(cluster['certificate-authority-data'], cluster['certificate-authority'], file);
    if (ca) endpoint.ca = ca;
    if (cluster['insecure-skip-tls-verify']) endpoint.insecure = true;
    const cert = material(user?.['client-certificate-data'], user?.['client-certificate'], file);
    const key = material(user?.['client-key-data'], user?.['client-key'], file);
    if (cert) endpoint.cert = cert;
    if (key) endpoint.key = key;
    if (user?.token) {
      const token = user.token;
      endpoint.token = () => token;
    } else if (user?.tokenFile) endpoint.token = cachedFile(isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile));
    return { ok: true, endpoint };
  } catch (err) {
    return fail((err as Error).message);
  }
}

function material(data: string | undefined, path: string | undefined, file: (p: string) => Buffer): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  return path ? file(path) : undefined;
}

/** A small file read again at most once a minute (a rotated token takes effect within a minute). */
function cachedFile(path: string): () => string | undefined {
  let value: string | undefined;
  let readAt = 0;
  return () => {
    if (value === undefined || Date.now() - readAt > 60_000) {
      try {
        value = readFileSync(path, 'utf8').trim();
        readAt = Date.now();
      } catch {
        // keep the last token: a file being swapped is briefly missing
      }
    }
    return value;
  };
}
