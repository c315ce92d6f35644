import type { Logger } from '../observability/logger.ts';
import type { ProbeResult, Sink } from '../sinks/sink.ts';

/** One sink's check: `result` undefined when the sink has no harmless call (file, http, stdout). */
export interface SinkCheck {
  sink: string;
  type: string;
  result: ProbeResult | undefined;
}

export interface CheckedSink {
  sink: Sink;
  /** The sink's request timeout bounds its check too. */
  timeoutMs: number;
}

/**
 * Runs every sink's probe at once, each bounded by its timeout and by `signal` (the agent's
 * stop). A probe that throws despite its contract is a failed check, not a crash.
 */
export function checkSinks(sinks: readonly CheckedSink[], signal?: AbortSignal): Promise<SinkCheck[]> {
  return Promise.all(
    sinks.map(async ({ sink, timeoutMs }): Promise<SinkCheck> => {
      if (!sink.probe) return { sink: sink.name, type: sink.type, result: undefined };
      const timeout = AbortSignal.timeout(timeoutMs);
      const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        let result = await sink.probe(bounded);
        // A refusal the sink has just learnt to avoid (its signing clock was off): ask once more.
        if (!result.ok && result.retryNow) result = await sink.probe(bounded);
        return { sink: sink.name, type: sink.type, result };
      } catch (err) {
        return {
          sink: sink.name,
          type: sink.type,
          result: { ok: false, call: 'probe', code: 'internal', message: err instanceof Error ? err.message : String(err) },
        };
      }
    }),
  );
}

/** The one-line account of a failed check: the sink, the call and the provider's error. */
export function describeFailure(check: SinkCheck & { result: ProbeResult & { ok: false } }): string {
  const { call, code, message } = check.result;
  // The AWS classifier's message already starts with the code.
  return `sink "${check.sink}" (${check.type}): ${call} failed: ${message.startsWith(code) ? message : `${code}: ${message}`}`;
}

/** At start: a warning per failing sink (the agent still runs and spools), info per passing one. */
export async function checkSinksAtStart(sinks: readonly CheckedSink[], logger: Logger, signal: AbortSignal): Promise<void> {
  const checks = await checkSinks(sinks, signal);
  if (signal.aborted) return;
  for (const c of checks) {
    if (c.result === undefined) continue;
    if (c.result.ok) logger.info('sink check passed', { sink: c.sink, call: c.result.call });
    else {
      logger.warn(
        'sink check failed: the agent runs on and spools, but deliveries to this sink will likely fail the same way (check_at_start: false if its credentials may only send)',
        {
          sink: c.sink,
          call: c.result.call,
          code: c.result.code,
          error: c.result.message,
        },
      );
    }
  }
}
