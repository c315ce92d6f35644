import * as grpc from '@grpc/grpc-js';
import type { BearerToken } from './bearer-token.ts';
import type { BodyBudget } from './body-budget.ts';
import type { RequestOutcomeLabel } from './export-handler.ts';

export interface GateOptions {
  token: BearerToken | undefined;
  budget: BodyBudget;
  /** The largest message a call may send: what reading one can cost before its size is known. */
  maxMessageBytes: number;
  requestTimeoutMs: number;
  count: (outcome: RequestOutcomeLabel) => void;
}

/**
 * A server interceptor that runs before grpc-js reads a call's message (grpc-js keeps the
 * stream paused until the handler asks for the message, so HTTP/2 flow control holds the client
 * back meanwhile):
 * - the bearer token is checked on the metadata: a call without it is refused unread;
 * - reading waits for `maxMessageBytes` of the shared body budget (grpc-js buffers a message
 *   whole before anyone sees it, so its size is unknown until then): a stalled upload holds at
 *   most that, and calls beyond the budget wait in line rather than being buffered;
 * - the message must arrive within request_timeout of the metadata (waiting included), or the
 *   call ends with DEADLINE_EXCEEDED.
 * Once the message is in, the read slot is given back; the export handler then holds the
 * message's real size while it processes it.
 */
export function gateInterceptor(opts: GateOptions): grpc.ServerInterceptor {
  return (_method, call) => new GatedCall(call, opts);
}

class GatedCall extends grpc.ServerInterceptingCall {
  private readonly opts: GateOptions;
  private timer: NodeJS.Timeout | undefined;
  private slot: { ready: Promise<void>; cancel(): void } | undefined;
  private holding = false;
  private received = false;
  private ended = false;

  constructor(next: grpc.ServerInterceptingCallInterface, opts: GateOptions) {
    const finish = () => this.finish();
    super(next, {
      start: (start) =>
        start({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (opts.token && !opts.token.accepts(metadata.get('authorization')[0]?.toString())) {
              opts.count('unauthenticated');
              this.sendStatus({
                code: grpc.status.UNAUTHENTICATED,
                details: 'missing or wrong bearer token',
                metadata: new grpc.Metadata(),
              });
              return;
            }
            this.timer = setTimeout(() => {
              opts.count('timeout');
              this.sendStatus({
                code: grpc.status.DEADLINE_EXCEEDED,
                details: `request message not received within request_timeout (${opts.requestTimeoutMs} ms)`,
                metadata: new grpc.Metadata(),
              });
            }, opts.requestTimeoutMs);
            nextMetadata(metadata);
          },
          onReceiveMessage: (message, nextMessage) => {
            this.received = true;
            finish();
            nextMessage(message);
          },
          onCancel: finish,
        }),
      sendStatus: (status, next) => {
        finish();
        next(status);
      },
    });
    this.opts = opts;
  }

  override startRead(): void {
    // Only the message is gated; later reads (the half-close) pass.
    if (this.received || this.holding) {
      super.startRead();
      return;
    }
    if (this.ended || this.slot) return;
    this.slot = this.opts.budget.reserveWhenFree(this.opts.maxMessageBytes);
    void this.slot.ready.then(() => {
      if (this.ended) {
        this.opts.budget.release(this.opts.maxMessageBytes);
        return;
      }
      this.holding = true;
      super.startRead();
    });
  }

  /** The message is in, or the call is over: stop the clock, give the read slot back. */
  private finish(): void {
    clearTimeout(this.timer);
    if (this.holding) {
      this.holding = false;
      this.opts.budget.release(this.opts.maxMessageBytes);
    }
    if (!this.received) {
      this.ended = true;
      this.slot?.cancel();
    }
  }
}
