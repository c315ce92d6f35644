import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';

/** A pod as the fake API serves it (the fields the agent reads). */
export interface FakePod {
  metadata: {
    uid: string;
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; apiVersion?: string; uid?: string }[];
  };
  spec: { nodeName: string; containers: { name: string; image: string }[] };
}

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A Kubernetes API server on loopback serving `/api/v1/pods` list (paged) and watch
 * (newline-delimited events, bookmarks, field selector on spec.nodeName), with faults a test
 * turns on: a 410 Gone for the next watches, dropped watch connections, an outage (every
 * connection destroyed on arrival).
 */
export class FakeKubeApi {
  private readonly server: Server;
  private readonly pods = new Map<string, FakePod>();
  private readonly history: { rv: number; type: WatchType; pod: FakePod }[] = [];
  private readonly watches = new Set<{ res: ServerResponse; node: string }>();
  private readonly sockets = new Set<Socket>();
  private rv = 100;
  /** Versions at or below this are compacted: a watch from them answers 410. */
  private compactedTo = 0;
  down = false;
  readonly requests: string[] = [];
  port = 0;

  /** With `tls`, the server speaks HTTPS (as the in-cluster API does). */
  constructor(tls?: { cert: Buffer; key: Buffer }) {
    this.server = tls ? createTlsServer(tls, (req, res) => this.handle(req, res)) : createServer((req, res) => this.handle(req, res));
    this.server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
      if (this.down) return void s.destroy();
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** A kubeconfig for this server (plain http, a token). */
  writeKubeconfig(path: string): string {
    writeFileSync(
      path,
      `apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster: { server: "http://127.0.0.1:${this.port}" }\nusers:\n- name: fake\n  user: { token: fake-token }\ncontexts:\n- name: fake\n  context: { cluster: fake, user: fake }\n`,
    );
    return path;
  }

  get watchCount(): number {
    return this.watches.size;
  }

  upsert(pod: FakePod): void {
    const type: WatchType = this.pods.has(pod.metadata.uid) ? 'MODIFIED' : 'ADDED';
    this.publish(type, pod);
  }

  remove(uid: string): void {
    const pod = this.pods.get(uid);
    if (pod) this.publish('DELETED', pod);
  }

  /** Sends a bookmark with the current version to every open watch. */
  bookmark(): void {
    for (const w of this.watches)
      w.res.write(
        JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } }) +
          '\n',
      );
  }

  /** Compacts history: open watches get an ERROR 410 event and end; a watch from an older version too. */
  compact(): void {
    this.compactedTo = this.rv;
    for (const w of this.watches) {
      w.res.end(
        JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 } }) +
          '\n',
      );
    }
    this.watches.clear();
  }

  /** Drops every open watch connection mid-stream (no end of the chunked body). */
  dropWatches(): void {
    for (const w of this.watches) w.res.socket?.destroy();
    this.watches.clear();
  }

  /** An outage: every connection is cut now and refused until `recover`. */
  outage(): void {
    this.down = true;
    for (const s of this.sockets) s.destroy();
    this.watches.clear();
  }

  recover(): void {
    this.down = false;
  }

  private publish(type: WatchType, pod: FakePod): void {
    this.rv++;
    const stamped: FakePod = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.rv) } };
    if (type === 'DELETED') this.pods.delete(pod.metadata.uid);
    else this.pods.set(pod.metadata.uid, stamped);
    this.history.push({ rv: this.rv, type, pod: stamped });
    if (this.history.length > 20_000) this.history.splice(0, 10_000);
    const line = JSON.stringify({ type, object: stamped }) + '\n';
    for (const w of this.watches) if (w.node === stamped.spec.nodeName) w.res.write(line);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/pods' || req.headers['authorization'] !== 'Bearer fake-token') {
      res.writeHead(url.pathname === '/api/v1/pods' ? 401 : 404).end();
      return;
    }
    const node = /^spec\.nodeName=(.*)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1] ?? '';
    if (url.searchParams.get('watch') === '1') {
      this.watch(url, node, res);
      return;
    }
    const all = [...this.pods.values()].filter((p) => p.spec.nodeName === node);
    const limit = Number(url.searchParams.get('limit') ?? all.length) || all.length;
    const start = Number(url.searchParams.get('continue') ?? 0);
    const items = all.slice(start, start + limit);
    const next = start + limit < all.length ? String(start + limit) : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
        items,
      }),
    );
  }

  private watch(url: URL, node: string, res: ServerResponse): void {
    const from = Number(url.searchParams.get('resourceVersion') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json' });
    if (from < this.compactedTo) {
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) + '\n');
      return;
    }
    for (const h of this.history)
      if (h.rv > from && h.pod.spec.nodeName === node) res.write(JSON.stringify({ type: h.type, object: h.pod }) + '\n');
    const w = { res, node };
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
  }
}

/** A pod of a Deployment (owned by its ReplicaSet) with one container. */
export function deploymentPod(opts: {
  uid: string;
  name?: string;
  namespace?: string;
  node?: string;
  deployment?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  container?: string;
  image?: string;
}): FakePod {
  const deployment = opts.deployment ?? 'web';
  const hash = '7d4b9c8f5';
  const name = opts.name ?? `${deployment}-${hash}-${opts.uid}`;
  return {
    metadata: {
      uid: opts.uid,
      name,
      namespace: opts.namespace ?? 'default',
      labels: { 'pod-template-hash': hash, ...opts.labels },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${deployment}-${hash}`, uid: 'rs-uid' }],
    },
    spec: {
      nodeName: opts.node ?? 'node-a',
      containers: [{ name: opts.container ?? 'app', image: opts.image ?? 'registry.example.com/web:1.2.3' }],
    },
  };
}
