import type { Server } from 'node:http';
import type { ListenAddress } from '../config/duration.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface AdminState {
  ready(): boolean;
  metrics(): Metrics;
  status(): unknown;
}

/**
 * `/healthz` (the process answers), `/readyz` (sources started and not shutting down: what a
 * Kubernetes readiness probe wants), `/metrics` (Prometheus text) and `/status` (JSON).
 */
export async function startAdminServer(listen: ListenAddress, state: AdminState): Promise<{ url: string; close(): Promise<void> }> {
  // Not an ESM import: the ESM facade of node:http loads Node's bundled undici (several MiB of
  // heap) at startup, even when no admin server is configured.
  const { createServer } = process.getBuiltinModule('node:http');
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const ready = state.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
        return;
      }
      case '/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(state.metrics().render());
        return;
      case '/status':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.status(), null, 2) + '\n');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  return {
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
