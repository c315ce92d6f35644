import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ListenAddress } from '../../config/duration.ts';
import type { Logger } from '../../observability/logger.ts';
import { BearerToken } from './bearer-token.ts';
import { encodeExportResponse, encodeStatus, GrpcCode, type Encoding } from './codec.ts';
import type { ExportHandler, RequestOutcomeLabel } from './export-handler.ts';
import { readTlsFiles, type TlsFiles } from './tls.ts';

const gunzip = promisify(zlib.gunzip);

export interface HttpReceiverOptions {
  listen: ListenAddress;
  /** Limit on the request body after decompression, in bytes. */
  maxBody: number;
  bearerToken?: string | undefined;
  tls?: TlsFiles | undefined;
}

export const OTLP_LOGS_PATH = '/v1/logs';
/** How long in-flight requests get to finish when the receiver stops. */
const STOP_GRACE_MS = 5_000;
/** After an early refusal, how long the unread rest of a request is drained before the socket is cut. */
const DRAIN_LIMIT_MS = 10_000;

const MEDIA_TYPES: Record<string, Encoding> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

type Refusal = { status: number; code: GrpcCode; message: string; outcome: RequestOutcomeLabel; headers?: Record<string, string> };

/** OTLP/HTTP receiver: `POST /v1/logs` with protobuf or JSON bodies, optionally gzipped. */
export class OtlpHttpReceiver {
  private readonly options: HttpReceiverOptions;
  private readonly handler: ExportHandler;
  private readonly logger: Logger;
  private readonly token: BearerToken | undefined;
  private server: http.Server | undefined;
  /** Once stopping, replies close their connection so that stop() need not wait for keep-alive. */
  private stopping = false;

  constructor(options: HttpReceiverOptions, handler: ExportHandler, logger: Logger) {
    this.options = options;
    this.handler = handler;
    this.logger = logger;
    this.token = options.bearerToken === undefined ? undefined : new BearerToken(options.bearerToken);
  }

  async start(): Promise<AddressInfo> {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.onRequest(req, res).catch((err: unknown) => {
        // A bug, not bad input: say so without details, keep serving.
        this.logger.error('OTLP/HTTP request failed', { error: err });
        const encoding = encodingOf(req) ?? 'json';
        if (!res.headersSent) this.reply(res, 500, encodeStatus(GrpcCode.INTERNAL, 'internal error', encoding), encoding);
      });
    };
    const tls = this.options.tls ? readTlsFiles(this.options.tls) : undefined;
    const server = tls
      ? https.createServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined }, onRequest)
      : http.createServer(onRequest);
    // `Expect: 100-continue` (curl sends it for large bodies): refuse on the headers before the
    // client uploads anything; otherwise invite the body and handle the request as usual.
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!this.checkHeaders(req)) res.writeContinue();
      onRequest(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error('OTLP/HTTP server error', { error: err }));
    return server.address() as AddressInfo;
  }

  /** Stops listening, lets in-flight requests finish (bounded), then closes every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refusal = this.checkHeaders(req);
    if (refusal) return this.refuse(req, res, refusal, encodingOf(req) ?? 'json', true);
    const encoding = encodingOf(req)!;

    const body = await this.readBody(req);
    if (!body.ok) {
      if (body.refusal) this.refuse(req, res, body.refusal, encoding, !body.complete);
      return;
    }

    const outcome = await this.handler.handle(body.bytes, encoding, 'http');
    switch (outcome.kind) {
      case 'accepted':
        return this.reply(res, 200, encodeExportResponse(outcome.partial, encoding), encoding);
      case 'invalid':
        return this.reply(res, 400, encodeStatus(GrpcCode.INVALID_ARGUMENT, outcome.message, encoding), encoding);
      case 'too_large':
        return this.reply(res, 413, encodeStatus(GrpcCode.INVALID_ARGUMENT, outcome.message, encoding), encoding);
      case 'full':
        return this.reply(
          res,
          429,
          encodeStatus(GrpcCode.RESOURCE_EXHAUSTED, 'spool is full, retry later', encoding, outcome.retryAfterMs),
          encoding,
          { 'retry-after': retryAfterSeconds(outcome.retryAfterMs) },
        );
      case 'unavailable':
        return this.reply(
          res,
          503,
          encodeStatus(GrpcCode.UNAVAILABLE, outcome.message, encoding, outcome.retryAfterMs),
          encoding,
          { 'retry-after': retryAfterSeconds(outcome.retryAfterMs) },
        );
    }
  }

  /** Everything that can be refused before reading a byte of the body. */
  private checkHeaders(req: http.IncomingMessage): Refusal | undefined {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== OTLP_LOGS_PATH) {
      return { status: 404, code: GrpcCode.UNIMPLEMENTED, message: `no such path; POST log records to ${OTLP_LOGS_PATH}`, outcome: 'not_found' };
    }
    if (req.method !== 'POST') {
      return { status: 405, code: GrpcCode.UNIMPLEMENTED, message: `method ${req.method} not allowed; use POST`, outcome: 'method_not_allowed', headers: { allow: 'POST' } };
    }
    if (this.token && !this.token.accepts(req.headers.authorization)) {
      return { status: 401, code: GrpcCode.UNAUTHENTICATED, message: 'missing or wrong bearer token', outcome: 'unauthenticated', headers: { 'www-authenticate': 'Bearer' } };
    }
    if (!encodingOf(req)) {
      return {
        status: 415,
        code: GrpcCode.INVALID_ARGUMENT,
        message: `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}; use application/x-protobuf or application/json`,
        outcome: 'unsupported_media_type',
      };
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      return { status: 415, code: GrpcCode.INVALID_ARGUMENT, message: `unsupported content encoding ${JSON.stringify(contentEncoding)}; use gzip or none`, outcome: 'unsupported_media_type' };
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.options.maxBody) return this.tooLarge();
    return undefined;
  }

  private tooLarge(): Refusal {
    return { status: 413, code: GrpcCode.INVALID_ARGUMENT, message: `request body exceeds max_body (${this.options.maxBody} bytes)`, outcome: 'too_large' };
  }

  private async readBody(
    req: http.IncomingMessage,
  ): Promise<{ ok: true; bytes: Buffer } | { ok: false; refusal?: Refusal; complete: boolean }> {
    const limit = this.options.maxBody;
    const chunks: Buffer[] = [];
    let size = 0;
    // Events rather than for-await: leaving a for-await early destroys the request, and with it
    // the socket the refusal has to be written to.
    const read = await new Promise<'complete' | 'too_large' | 'aborted'>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        if (size > limit) return; // refused already; the rest is discarded
        size += chunk.length;
        // A compressed body larger than the limit cannot inflate below it in practice.
        if (size > limit) {
          chunks.length = 0;
          resolve('too_large');
        } else {
          chunks.push(chunk);
        }
      });
      req.once('end', () => resolve('complete'));
      req.once('close', () => resolve('aborted')); // no effect once settled
      req.once('error', () => resolve('aborted'));
    });
    if (read === 'too_large') return { ok: false, refusal: this.tooLarge(), complete: false };
    if (read === 'aborted') return { ok: false, complete: false }; // client went away; nobody to answer
    const raw = Buffer.concat(chunks, size);
    if ((req.headers['content-encoding'] ?? '').trim().toLowerCase() !== 'gzip') return { ok: true, bytes: raw };
    try {
      return { ok: true, bytes: await gunzip(raw, { maxOutputLength: limit }) };
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return { ok: false, refusal: { ...this.tooLarge(), message: `decompressed request body exceeds max_body (${limit} bytes)` }, complete: true };
      }
      return {
        ok: false,
        refusal: { status: 400, code: GrpcCode.INVALID_ARGUMENT, message: `invalid gzip body: ${(err as Error).message}`, outcome: 'invalid' },
        complete: true,
      };
    }
  }

  private refuse(req: http.IncomingMessage, res: http.ServerResponse, refusal: Refusal, encoding: Encoding, bodyUnread: boolean): void {
    this.handler.countRequest('http', refusal.outcome);
    const headers = { ...refusal.headers };
    if (bodyUnread) {
      // Answer at once, then read and discard what the client is still sending (bounded in
      // time) so it sees the status instead of a reset; the connection is not reused.
      headers.connection = 'close';
      const timer = setTimeout(() => req.socket.destroy(), DRAIN_LIMIT_MS);
      timer.unref();
      req.on('end', () => clearTimeout(timer));
      req.resume();
    }
    this.reply(res, refusal.status, encodeStatus(refusal.code, refusal.message, encoding), encoding, headers);
  }

  private reply(
    res: http.ServerResponse,
    status: number,
    body: Uint8Array,
    encoding: Encoding,
    headers: Record<string, string> = {},
  ): void {
    if (this.stopping) headers = { ...headers, connection: 'close' };
    res.writeHead(status, {
      ...headers,
      'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
      'content-length': String(body.byteLength),
    });
    res.end(body);
  }
}

function encodingOf(req: http.IncomingMessage): Encoding | undefined {
  const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return MEDIA_TYPES[mediaType];
}


function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
