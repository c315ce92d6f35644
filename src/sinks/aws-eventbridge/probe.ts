import { DescribeEventBusCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { parseRetryAfter } from '../retry-after.ts';
import { probeResult, type ProbeResult } from '../sink.ts';
import { CLOCK_CORRECTION_MS } from './limits.ts';
import { classifyError } from './outcome-classifier.ts';

/**
 * EventBridge's harmless call: `DescribeEventBus` of the bus the sink sends to (the account's
 * `default` bus when none is set). It reads nothing but the bus, and it fails exactly as
 * PutEvents would for a wrong endpoint, key, secret, region or bus name.
 */
export async function probeEventBridge(client: EventBridgeClient, bus: string | undefined, signal: AbortSignal): Promise<ProbeResult> {
  const call = 'DescribeEventBus';
  const offsetBefore = client.config.systemClockOffset;
  try {
    await client.send(new DescribeEventBusCommand(bus ? { Name: bus } : {}), { abortSignal: signal });
    return { ok: true, call };
  } catch (err) {
    const clockCorrected = Math.abs(client.config.systemClockOffset - offsetBefore) >= CLOCK_CORRECTION_MS;
    return probeResult(call, classifyError(err, 1, parseRetryAfter, clockCorrected));
  }
}
