/**
 * EventBridge / CloudWatch Events `PutEvents` on the wire (JSON 1.1 protocol,
 * `X-Amz-Target: AWSEvents.PutEvents`, SigV4 service `events`). Shared by the sink (which sends
 * through the AWS SDK) and the emulator. Sources: seed 003 (API reference), botocore's
 * `events/2015-10-07/service-2.json`.
 */

export const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';
/** The sink's start-up check (probe.ts): a read of the bus it sends to. */
export const DESCRIBE_EVENT_BUS_TARGET = 'AWSEvents.DescribeEventBus';
export const JSON_11 = 'application/x-amz-json-1.1';

/** One request entry as it travels: `Time` is epoch seconds (a JSON number). */
export interface PutEventsEntry {
  Time?: number;
  Source?: string;
  DetailType?: string;
  /** A JSON object, as text. */
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  TraceHeader?: string;
}

export interface PutEventsRequest {
  Entries: PutEventsEntry[];
}

/** Index-aligned with the request: an `EventId` when accepted, else an error code and message. */
export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** Always HTTP 200 when the request as a whole was taken, whatever happened to each entry. */
export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** A whole-request error: JSON body `{__type, message}` (also in the `x-amzn-errortype` header). */
export interface AwsErrorBody {
  __type: string;
  message: string;
}
