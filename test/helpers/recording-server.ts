import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** One request as a fake cloud endpoint (STS, IAM, instance metadata) received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface RecordingServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A loopback HTTP server that records every request and lets `handle` answer it. */
export async function recordingServer(handle: (req: RecordedRequest, res: ServerResponse) => void): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = req.url ?? '/';
      const parsed = new URL(raw, 'http://x');
      const r: RecordedRequest = {
        method: req.method ?? 'GET',
        url: raw,
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(r);
      handle(r, res);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * For a test file: a `recordingServer` whose servers are all closed after each test (call at
 * the top level of the file).
 */
export function recordingServers(): (handle: (req: RecordedRequest, res: ServerResponse) => void) => Promise<RecordingServer> {
  const open: RecordingServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (handle) => {
    const s = await recordingServer(handle);
    open.push(s);
    return s;
  };
}

/** Answers with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
