import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ListenAddress } from '../../core/listen-address.ts';
import type { Logger } from '../../observability/logger.ts';
import { BearerToken } from './bearer-token.ts';
import { BUSY_RETRY_MS, Reservation, type BodyBudget } from './body-budget.ts';
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
  /** Shared with the gRPC receiver: request bodies held at once. */
  budget: BodyBudget;
  /** Time for the body to arrive once the headers have (408 after). */
  requestTimeoutMs: number;
}

export const OTLP_LOGS_PATH = '/v1/logs';
/** How long in-flight requests get to finish when the receiver stops. */
const STOP_GRACE_MS = 5_000;
/** After an early refusal, how long the unread rest of a request is drained before the socket is cut. */
const DRAIN_LIMIT_MS = 10_000;
/** A body this large refused for lack of budget is not drained (see refuse()). */
const NO_DRAIN_WHEN_BUSY = 1024 * 1024;

const MEDIA_TYPES: Record<string, Encoding> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

type Refusal = {
  status: number;
  code: GrpcCode;
  message: string;
  outcome: RequestOutcomeLabel;
  headers?: Record<string, string>;
  /** Sent as google.rpc.RetryInfo and Retry-After. */
  retryAfterMs?: number;
};

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
      ? https.createServer(
          { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined },
          onRequest,
        )
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
    // A connection still draining a refused body becomes idle later: close it once it does.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const timer = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
    await closed;
    clearInterval(idle);
    clearTimeout(timer);
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refusal = this.checkHeaders(req);
    const encoding = encodingOf(req);
    // checkHeaders refuses a request whose content type has no encoding.
    if (refusal || !encoding) return this.refuse(req, res, refusal ?? unsupportedMediaType(req), encoding ?? 'json', true);

    // The body's bytes are taken from the shared budget before they are buffered: declared
    // ones up front, others as they arrive. They are given back once the request is answered.
    const reservation = new Reservation(this.options.budget);
    try {
      const declared = declaredLength(req);
      if (declared !== undefined && !reservation.take(declared)) return this.refuse(req, res, busy(), encoding, true);
      const body = await this.readBody(req, reservation, declared !== undefined);
      if (!body.ok) {
        if (body.refusal) this.refuse(req, res, body.refusal, encoding, !body.complete);
        return;
      }
      await this.answer(res, body.bytes, encoding);
    } finally {
      reservation.releaseAll();
    }
  }

  private async answer(res: http.ServerResponse, bytes: Buffer, encoding: Encoding): Promise<void> {
    const outcome = await this.handler.handle(bytes, encoding, 'http');
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
        return this.reply(res, 503, encodeStatus(GrpcCode.UNAVAILABLE, outcome.message, encoding, outcome.retryAfterMs), encoding, {
          'retry-after': retryAfterSeconds(outcome.retryAfterMs),
        });
    }
  }

  /** Everything that can be refused before reading a byte of the body. */
  private checkHeaders(req: http.IncomingMessage): Refusal | undefined {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== OTLP_LOGS_PATH) {
      return {
        status: 404,
        code: GrpcCode.UNIMPLEMENTED,
        message: `no such path; POST log records to ${OTLP_LOGS_PATH}`,
        outcome: 'not_found',
      };
    }
    if (req.method !== 'POST') {
      return {
        status: 405,
        code: GrpcCode.UNIMPLEMENTED,
        message: `method ${req.method} not allowed; use POST`,
        outcome: 'method_not_allowed',
        headers: { allow: 'POST' },
      };
    }
    if (this.token && !this.token.accepts(req.headers.authorization)) {
      return {
        status: 401,
        code: GrpcCode.UNAUTHENTICATED,
        message: 'missing or wrong bearer token',
        outcome: 'unauthenticated',
        headers: { 'www-authenticate': 'Bearer' },
      };
    }
    if (!encodingOf(req)) return unsupportedMediaType(req);
    // An empty header names no encoding: the body is as sent.
    const contentEncoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase() || 'identity';
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      return {
        status: 415,
        code: GrpcCode.INVALID_ARGUMENT,
        message: `unsupported content encoding ${JSON.stringify(contentEncoding)}; use gzip or none`,
        outcome: 'unsupported_media_type',
      };
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.options.maxBody) return this.tooLarge();
    return undefined;
  }

  private tooLarge(): Refusal {
    return {
      status: 413,
      code: GrpcCode.INVALID_ARGUMENT,
      message: `request body exceeds max_body (${this.options.maxBody} bytes)`,
      outcome: 'too_large',
    };
  }

  private async readBody(
    req: http.IncomingMessage,
    reservation: Reservation,
    reserved: boolean,
  ): Promise<{ ok: true; bytes: Buffer } | { ok: false; refusal?: Refusal; complete: boolean }> {
    const limit = this.options.maxBody;
    const chunks: Buffer[] = [];
    let size = 0;
    // Events rather than for-await: leaving a for-await early destroys the request, and with it
    // the socket the refusal has to be written to.
    const read = await new Promise<'complete' | 'too_large' | 'busy' | 'timeout' | 'aborted'>((resolve) => {
      let done = false;
      const settle = (how: 'complete' | 'too_large' | 'busy' | 'timeout' | 'aborted') => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (how !== 'complete') chunks.length = 0;
        resolve(how);
      };
      // A client that sends its body slowly, or stops, holds its share of the budget: bounded.
      const timer = setTimeout(() => settle('timeout'), this.options.requestTimeoutMs);
      req.on('data', (chunk: Buffer) => {
        if (done) return; // refused already; the rest is discarded
        size += chunk.length;
        // A compressed body larger than the limit cannot inflate below it in practice.
        if (size > limit) settle('too_large');
        else if (!reserved && !reservation.take(chunk.length, size)) settle('busy');
        else chunks.push(chunk);
      });
      req.once('end', () => settle('complete'));
      req.once('close', () => settle('aborted'));
      req.once('error', () => settle('aborted'));
    });
    if (read === 'too_large') return { ok: false, refusal: this.tooLarge(), complete: false };
    if (read === 'busy') return { ok: false, refusal: busy(), complete: false };
    if (read === 'timeout') {
      return {
        ok: false,
        refusal: {
          status: 408,
          code: GrpcCode.DEADLINE_EXCEEDED,
          message: `request body not received within request_timeout (${this.options.requestTimeoutMs} ms)`,
          outcome: 'timeout',
          // A stalled client would hold the connection as long as it likes: close it.
          headers: { connection: 'close' },
        },
        complete: true,
      };
    }
    if (read === 'aborted') return { ok: false, complete: false }; // client went away; nobody to answer
    const raw = Buffer.concat(chunks, size);
    chunks.length = 0;
    if ((req.headers['content-encoding'] ?? '').trim().toLowerCase() !== 'gzip') return { ok: true, bytes: raw };
    let inflated: Buffer;
    try {
      inflated = await gunzip(raw, { maxOutputLength: limit });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return {
          ok: false,
          refusal: { ...this.tooLarge(), message: `decompressed request body exceeds max_body (${limit} bytes)` },
          complete: true,
        };
      }
      return {
        ok: false,
        refusal: {
          status: 400,
          code: GrpcCode.INVALID_ARGUMENT,
          message: `invalid gzip body: ${(err as Error).message}`,
          outcome: 'invalid',
        },
        complete: true,
      };
    }
    // The inflated body is held too (the compressed one is given back with the rest).
    if (!reservation.take(inflated.length)) return { ok: false, refusal: busy(), complete: true };
    return { ok: true, bytes: inflated };
  }

  private refuse(req: http.IncomingMessage, res: http.ServerResponse, refusal: Refusal, encoding: Encoding, bodyUnread: boolean): void {
    this.handler.countRequest('http', refusal.outcome);
    const headers = { ...refusal.headers };
    if (refusal.retryAfterMs !== undefined) headers['retry-after'] = retryAfterSeconds(refusal.retryAfterMs);
    if (bodyUnread && refusal.outcome === 'busy' && (declaredLength(req) ?? 0) >= NO_DRAIN_WHEN_BUSY) {
      // Turned away because bodies in flight already fill the budget: reading megabytes more
      // only to discard them is what the budget protects against. The connection is closed; a
      // client still writing may see a reset instead of the 429, which exporters retry alike.
      headers.connection = 'close';
    } else if (bodyUnread) {
      // Answer at once, then read and discard what the client is still sending, so that it
      // reads the status: closing now would reset a client still writing (EPIPE, no 413). A
      // client that keeps sending past the drain limit is cut off.
      const timer = setTimeout(() => req.socket.destroy(), DRAIN_LIMIT_MS);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
      req.once('close', () => clearTimeout(timer));
      req.resume();
    }
    this.reply(res, refusal.status, encodeStatus(refusal.code, refusal.message, encoding, refusal.retryAfterMs), encoding, headers);
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

function busy(): Refusal {
  return {
    status: 429,
    code: GrpcCode.RESOURCE_EXHAUSTED,
    message: 'too many request bytes in flight (max_inflight_bytes); retry later',
    outcome: 'busy',
    retryAfterMs: BUSY_RETRY_MS,
  };
}

/** Content-Length as a number, undefined when absent (chunked) or unreadable. */
function declaredLength(req: http.IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function encodingOf(req: http.IncomingMessage): Encoding | undefined {
  const [mediaType = ''] = (req.headers['content-type'] ?? '').split(';', 1);
  return MEDIA_TYPES[mediaType.trim().toLowerCase()];
}

function unsupportedMediaType(req: http.IncomingMessage): Refusal {
  return {
    status: 415,
    code: GrpcCode.INVALID_ARGUMENT,
    message: `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}; use application/x-protobuf or application/json`,
    outcome: 'unsupported_media_type',
  };
}

function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
