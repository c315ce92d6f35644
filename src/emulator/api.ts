/** The contract every emulated provider API implements; the server runs them all the same way. */
import type { EmulatorConfig, Provider } from './config.ts';
import type { FaultInjector } from './faults.ts';
import type { EmuRequest, Reply } from './http.ts';
import type { EventLog } from './state.ts';

export interface EmulatorContext {
  readonly config: EmulatorConfig;
  readonly faults: FaultInjector;
  readonly events: EventLog;
}

export interface ProviderApi {
  readonly provider: Provider;
  /** True when this API serves the request (routing). */
  matches(req: EmuRequest): boolean;
  /**
   * True for a read call (a sink's start-up check, `query`): it is authenticated and counted like
   * any other, but takes no injected fault, so checks never shift the faults set up for deliveries.
   */
  isRead?(req: EmuRequest): boolean;
  /** undefined when the caller is authenticated, else the provider's auth error. */
  authenticate(req: EmuRequest, ctx: EmulatorContext): Reply | undefined;
  /** The provider's throttling answer. */
  throttled(req: EmuRequest, retryAfterMs: number | undefined): Reply;
  /** The provider's 500/503 answer. */
  serverError(req: EmuRequest, status: 500 | 503): Reply;
  /** Validates and applies the request (auth and faults already passed). */
  handle(req: EmuRequest, ctx: EmulatorContext): Reply;
  /** Drops stored state (events, alarms, nonces). */
  reset(): void;
}
