import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http';
import type { ApiEndpoint } from './endpoint.ts';

/** A failed call: `gone` is the API's 410 (the resourceVersion is too old: list again). */
export type ApiError = { kind: 'gone' } | { kind: 'failed'; message: string };
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Most bytes of one list page (pages hold `PAGE_SIZE` pods): a broken server cannot fill memory. */
const MAX_PAGE_BYTES = 64 << 20;
/** Most bytes of one watch event line. */
const MAX_EVENT_BYTES = 8 << 20;
/** A list page, or the wait for a watch's answer, taking longer than this has failed. */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * A watch silent this long is taken for a dead connection (a partition sends no reset): the API
 * server sends bookmarks about once a minute and ends a watch after its timeoutSeconds.
 */
const WATCH_IDLE_MS = 6 * 60_000;

/**
 * GETs against the API server over one keep-alive connection pool (`node:http`/`node:https`,
 * as the sinks do: no client library). Lists read whole JSON answers; watches read newline-
 * delimited JSON events as they come.
 */
export class ApiClient {
  private readonly endpoint: ApiEndpoint;
  private readonly agent: HttpAgent;
  private readonly request: typeof import('node:http').request;

  constructor(endpoint: ApiEndpoint) {
    this.endpoint = endpoint;
    if (endpoint.server.protocol === 'https:') {
      const https = process.getBuiltinModule('node:https');
      const tls = {
        ...(endpoint.ca ? { ca: endpoint.ca } : {}),
        ...(endpoint.cert ? { cert: endpoint.cert } : {}),
        ...(endpoint.key ? { key: endpoint.key } : {}),
      };
      this.agent = new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: !endpoint.insecure, ...tls });
      this.request = https.request;
    } else {
      const http = process.getBuiltinModule('node:http');
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      this.request = http.request;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  /** GET a JSON document. */
  async get(path: string, signal: AbortSignal): Promise<ApiResult<unknown>> {
    const opened = await this.open(path, signal);
    if (!opened.ok) return opened;
    const res = opened.value;
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of res) {
        bytes += (chunk as Buffer).length;
        if (bytes > MAX_PAGE_BYTES) {
          res.destroy();
          return failed(`answer larger than ${MAX_PAGE_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
    } catch (err) {
      return failed(`reading the answer: ${(err as Error).message}`);
    }
  }

  /**
   * A watch: calls `onEvent` with each JSON event line until the server ends the stream
   * (answers ok) or the connection fails (answers the error).
   */
  async watch(path: string, signal: AbortSignal, onEvent: (event: unknown) => void): Promise<ApiResult<void>> {
    const opened = await this.open(path, signal);
    if (!opened.ok) return opened;
    const res = opened.value;
    res.setTimeout(WATCH_IDLE_MS, () => res.destroy(new Error(`no data for ${WATCH_IDLE_MS / 60_000} min`)));
    let pending = '';
    try {
      for await (const chunk of res) {
        pending += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as unknown);
        }
        if (pending.length > MAX_EVENT_BYTES) {
          res.destroy();
          return failed(`watch event longer than ${MAX_EVENT_BYTES} bytes`);
        }
      }
      // A server closing mid-chunk (a dropped connection) ends the stream without an error on some paths.
      if (!res.complete) return failed('watch connection dropped');
      return { ok: true, value: undefined };
    } catch (err) {
      return failed(signal.aborted ? 'stopped' : `watch: ${(err as Error).message}`);
    }
  }

  /** Sends a GET; answers the response once its status is 200, or the error. */
  private open(path: string, signal: AbortSignal): Promise<ApiResult<IncomingMessage>> {
    const url = new URL(path, this.endpoint.server);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.endpoint.token?.();
    if (token) headers['authorization'] = `Bearer ${token}`;
    return new Promise((resolve) => {
      let req: ClientRequest | undefined;
      const timer = setTimeout(() => req?.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS);
      const done = (r: ApiResult<IncomingMessage>) => {
        clearTimeout(timer);
        resolve(r);
      };
      req = this.request(url, { method: 'GET', headers, agent: this.agent, signal }, (res) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        if (status === 200) return done({ ok: true, value: res });
        res.resume();
        if (status === 410) return done({ ok: false, error: { kind: 'gone' } });
        done(failed(`HTTP ${status} from ${url.pathname}`));
      });
      req.on('error', (err) => done(failed(signal.aborted ? 'stopped' : err.message)));
      req.end();
    });
  }
}

function failed(message: string): { ok: false; error: ApiError } {
  return { ok: false, error: { kind: 'failed', message } };
}
