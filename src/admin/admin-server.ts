import type { Server, ServerResponse } from 'node:http';
import type { Tap, TapFilter } from '../agent/tap.ts';
import type { ListenAddress } from '../core/listen-address.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface AdminState {
  ready(): boolean;
  metrics(): Metrics;
  status(): unknown;
  /** Events and delivery outcomes, streamed on `/tap` as JSON lines. */
  tap?: Tap;
}

/** A one-line reason why the admin endpoint could not listen (a busy port, say). */
export class AdminListenError extends Error {}

/**
 * `/healthz` (the process answers), `/readyz` (sources started and not shutting down: what a
 * Kubernetes readiness probe wants), `/metrics` (Prometheus text) and `/status` (JSON).
 */
export async function startAdminServer(listen: ListenAddress, state: AdminState): Promise<{ url: string; close(): Promise<void> }> {
  // Not an ESM import: the ESM facade of node:http loads Node's bundled undici (several MiB of
  // heap) at startup, even when no admin server is configured.
  const { createServer } = process.getBuiltinModule('node:http');
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
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
      case '/metrics': {
        const metrics = state.metrics();
        metrics.render().then(
          (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${(err as Error).message}\n`),
        );
        return;
      }
      case '/status':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.status(), null, 2) + '\n');
        return;
      case '/tap':
        if (!state.tap) break;
        streamTap(state.tap, tapFilter(url.searchParams), res);
        return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${listen.host}:${listen.port}`;
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use (another process listens there)'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message;
      reject(new AdminListenError(`admin.listen ${where}: cannot listen: ${why}`));
    });
    server.listen(listen.port, listen.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  return {
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        state.tap?.closeAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function tapFilter(q: URLSearchParams): TapFilter {
  const list = (key: string) => {
    const v = q
      .getAll(key)
      .flatMap((x) => x.split(','))
      .filter((x) => x !== '');
    return v.length > 0 ? new Set(v) : undefined;
  };
  const rules = list('rule');
  const sinks = list('sink');
  return { ...(rules ? { rules } : {}), ...(sinks ? { sinks } : {}) };
}

/**
 * Streams a tap subscription as JSON lines. Writes only while the connection takes them: a
 * slow reader's items wait in its bounded queue, and past that are dropped (and counted).
 */
function streamTap(tap: Tap, filter: TapFilter, res: ServerResponse): void {
  const sub = tap.subscribe(filter);
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.write(
    `${JSON.stringify({ type: 'tap', time: new Date().toISOString(), ...(filter.rules ? { rules: [...filter.rules] } : {}), ...(filter.sinks ? { sinks: [...filter.sinks] } : {}) })}\n`,
  );
  let open = true;
  res.on('close', () => {
    open = false;
    tap.unsubscribe(sub);
  });
  const pump = async () => {
    while (open && !sub.closed) {
      await sub.ready();
      const items = sub.take();
      if (items.length === 0) continue;
      const ok = res.write(items.map((i) => JSON.stringify(i)).join('\n') + '\n');
      if (!ok && open) await new Promise((r) => res.once('drain', r));
    }
    if (open) res.end();
  };
  void pump();
}
