import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Event } from '../../src/model/event.ts';

export interface ReceivedRequest {
  ids: string[];
  at: number;
  headers: IncomingMessage['headers'];
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this many ms. */
  delayMs?: number;
}

/**
 * A loopback webhook receiver for the `http` sink: records every request's event ids and
 * answers with whatever the test's script says (default 200, no body).
 */
export class FakeReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Per request, [event id, content] of each event. */
  readonly requestsWithContent: [string, string][][] = [];
  script: (events: Event[], index: number) => Reply = () => ({});
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const events = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: Event[] }).events;
        const index = this.requests.length;
        this.requests.push({ ids: events.map((e) => e.id), at: Date.now(), headers: req.headers });
        this.requestsWithContent.push(events.map((e) => [e.id, e.content]));
        const reply = this.script(events, index);
        const answer = () => {
          if (res.destroyed) return;
          res.writeHead(reply.status ?? 200, reply.headers ?? {});
          res.end(reply.body ?? '');
        };
        if (reply.delayMs) setTimeout(answer, reply.delayMs);
        else answer();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
    return this;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  ids(): string[] {
    return this.requests.flatMap((r) => r.ids);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
