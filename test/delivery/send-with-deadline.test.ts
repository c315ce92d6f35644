import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sendWithDeadline } from '../../src/delivery/send-with-deadline.ts';
import type { SendResult } from '../../src/sinks/sink.ts';
import { event, ScriptedSink } from './helpers.ts';

/** A sink that never answers and ignores its signal: only the deadline can end its request. */
class DeafSink extends ScriptedSink {
  signal: AbortSignal | undefined;
  override send(_batch: readonly unknown[], signal: AbortSignal): Promise<SendResult> {
    this.signal = signal;
    return new Promise(() => {});
  }
}

describe('sendWithDeadline: one request, answered by the sink or by its deadline', () => {
  it("passes the sink's answer through", async () => {
    const sink = new ScriptedSink();
    const result = await sendWithDeadline(sink, [event(), event()], 60_000, new AbortController().signal);
    expect(result).toEqual({ outcomes: [{ kind: 'delivered' }, { kind: 'delivered' }], throttled: false });
  });

  it('answers every entry retryable with code timeout when the sink does not answer in time, and aborts its signal', async () => {
    const sink = new DeafSink();
    const result = await sendWithDeadline(sink, [event(), event()], 20, new AbortController().signal);
    const timeout = { kind: 'retryable', code: 'timeout', message: 'no answer within 20 ms' };
    expect(result).toEqual({ outcomes: [timeout, timeout], throttled: false });
    expect(sink.signal?.aborted).toBe(true);
  });

  it('leaves no listener on the shutdown signal once the request ended', async () => {
    const shutdown = new AbortController();
    await sendWithDeadline(new ScriptedSink(), [event()], 60_000, shutdown.signal);
    await sendWithDeadline(new DeafSink(), [event()], 10, shutdown.signal);
    expect(getEventListeners(shutdown.signal, 'abort')).toEqual([]);
  });

  it('answers aborted at shutdown, and leaves no listener on the shutdown signal', async () => {
    const shutdown = new AbortController();
    const signal = shutdown.signal;
    const pending = sendWithDeadline(new DeafSink(), [event()], 60_000, signal);
    shutdown.abort();
    expect(await pending).toEqual({ outcomes: [{ kind: 'retryable', code: 'aborted', message: 'shutting down' }], throttled: false });
    expect(getEventListeners(signal, 'abort')).toEqual([]);
  });

  it('answers send_failed when the sink throws', async () => {
    const sink = new ScriptedSink('fake', undefined, () => {
      throw new Error('socket hang up');
    });
    const result = await sendWithDeadline(sink, [event()], 60_000, new AbortController().signal);
    expect(result).toEqual({ outcomes: [{ kind: 'retryable', code: 'send_failed', message: 'socket hang up' }], throttled: false });
  });
});
