import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The answer was longer than the cap: it was cut there and never read into memory. */
export class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`the answer is longer than ${maxBytes} bytes; it was not read`);
    this.maxBytes = maxBytes;
  }
}

/**
 * The SDK's Node.js request handler with a cap on the answer's size. The SDK reads a whole
 * response body into memory before it parses it (error bodies included), so a misbehaving
 * server or proxy could make it hold hundreds of MB: past `maxBytes` the body stream fails with
 * AnswerTooLargeError and the connection is closed. Redirects are never followed (node:http
 * does not), so no signed request or credential goes to another origin.
 */
export class CappedHttpHandler extends NodeHttpHandler {
  private readonly maxBytes: number;
  constructor(maxBytes: number, options: ConstructorParameters<typeof NodeHttpHandler>[0] = {}) {
    super(options);
    this.maxBytes = maxBytes;
  }

  override async handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const out = await super.handle(...args);
    const body: unknown = out.response.body;
    if (isReadable(body)) out.response.body = capStream(body, this.maxBytes);
    return out;
  }
}

function isReadable(v: unknown): v is IncomingMessage {
  return v !== null && typeof v === 'object' && typeof (v as { pipe?: unknown }).pipe === 'function';
}

function capStream(source: IncomingMessage, maxBytes: number): Transform {
  let seen = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        // Stop the transfer: the socket is closed instead of draining the rest.
        source.unpipe(capped);
        source.destroy();
        done(new AnswerTooLargeError(maxBytes));
        return;
      }
      done(null, chunk);
    },
  });
  source.on('error', (err) => capped.destroy(err));
  return source.pipe(capped);
}
