/**
 * AWS EventBridge / CloudWatch Events `PutEvents` (JSON 1.1 protocol, SigV4 `events`).
 * Request-level problems are `{__type, message}` errors; entry-level ones are per-entry
 * `ErrorCode`/`ErrorMessage` inside a 200, index-aligned with the request.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorContext, ProviderApi } from './api.ts';
import { type Reply, header, jsonReply, retryAfterSeconds } from './http.ts';
import { verifySigV4 } from './sigv4.ts';

const JSON_11 = 'application/x-amz-json-1.1';
export const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';
export const MAX_ENTRIES = 10;
export const MAX_DETAIL_TYPE_LENGTH = 128;

export function awsError(status: number, type: string, message: string, extraHeaders: Record<string, string> = {}): Reply {
  return jsonReply(status, { __type: type, message }, JSON_11, {
    headers: { 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': type, ...extraHeaders },
    errorCode: type,
  });
}

export interface PutEventsEntry {
  Time?: number;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  TraceHeader?: string;
}

export interface StoredAwsEvent extends PutEventsEntry {
  EventId: string;
}

type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** EventBridge's size accounting for one entry (14 bytes when Time is set + UTF-8 bytes of the fields). */
export function putEventsEntrySize(e: PutEventsEntry): number {
  let size = e.Time !== undefined ? 14 : 0;
  if (e.Source) size += Buffer.byteLength(e.Source);
  if (e.DetailType) size += Buffer.byteLength(e.DetailType);
  if (e.Detail) size += Buffer.byteLength(e.Detail);
  for (const r of e.Resources ?? []) size += Buffer.byteLength(r);
  return size;
}

const STRING_FIELDS = ['Source', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader'] as const;

/** Shape check the JSON deserializer does: wrong types are SerializationException. */
function shapeError(entries: unknown[]): string | undefined {
  for (const [i, raw] of entries.entries()) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return `Entries[${i}] must be an object`;
    const e = raw as Record<string, unknown>;
    for (const f of STRING_FIELDS) if (e[f] !== undefined && e[f] !== null && typeof e[f] !== 'string') return `Entries[${i}].${f} must be a string`;
    if (e.Time !== undefined && e.Time !== null && (typeof e.Time !== 'number' || !Number.isFinite(e.Time))) return `Entries[${i}].Time must be a number (epoch seconds)`;
    if (e.Resources !== undefined && e.Resources !== null && (!Array.isArray(e.Resources) || e.Resources.some((r) => typeof r !== 'string'))) {
      return `Entries[${i}].Resources must be a list of strings`;
    }
  }
  return undefined;
}

function isJsonObjectText(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Entry-level rules; the returned failure goes into the entry's slot of a 200 response. */
function entryError(e: PutEventsEntry): { ErrorCode: string; ErrorMessage: string } | undefined {
  for (const f of ['Source', 'DetailType', 'Detail'] as const) {
    if (!e[f]) return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${f} is not valid. Reason: ${f} is a required argument.` };
  }
  if (e.DetailType!.length > MAX_DETAIL_TYPE_LENGTH) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter DetailType is not valid. Reason: DetailType is longer than ${MAX_DETAIL_TYPE_LENGTH} characters.` };
  }
  if (e.Source!.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  if (!isJsonObjectText(e.Detail!)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  return undefined;
}

export const awsApi: ProviderApi = {
  provider: 'aws',

  matches: (req) => req.headers['x-amz-target'] !== undefined,

  authenticate(req, ctx) {
    const creds = ctx.config.credentials.aws;
    const check = verifySigV4(
      { method: req.method, path: req.rawPath, query: req.query, headers: req.headers, body: req.body },
      { accessKeyId: creds.access_key_id, secretAccessKey: creds.secret_access_key, region: creds.region, service: 'events', now: req.receivedAt },
    );
    if (check.ok) return undefined;
    switch (check.reason) {
      case 'missing':
        return awsError(403, 'MissingAuthenticationTokenException', check.message);
      case 'malformed':
        return awsError(400, 'IncompleteSignatureException', check.message);
      case 'unknown_key':
        return awsError(403, 'UnrecognizedClientException', check.message);
      case 'expired':
        return awsError(400, 'RequestExpired', check.message);
      default:
        return awsError(403, 'InvalidSignatureException', check.message);
    }
  },

  throttled: (_req, retryAfterMs) =>
    ({ ...awsError(400, 'ThrottlingException', 'Rate exceeded', retryAfterMs !== undefined ? { 'retry-after': retryAfterSeconds(retryAfterMs) } : {}), throttled: true }),

  serverError: (_req, status) =>
    status === 503 ? awsError(503, 'ServiceUnavailable', 'Service is unavailable. Try again later.') : awsError(500, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.'),

  handle(req, ctx) {
    if (req.method !== 'POST' || req.rawPath !== '/') return awsError(404, 'UnknownOperationException', `${req.method} ${req.rawPath} is not served`);
    const target = header(req, 'x-amz-target');
    if (target !== PUT_EVENTS_TARGET) return awsError(400, 'UnknownOperationException', `Operation ${target ?? ''} is not emulated (only ${PUT_EVENTS_TARGET}).`);
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return awsError(400, 'SerializationException', 'Start of structure or map found where not expected.');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return awsError(400, 'SerializationException', 'Request body must be a JSON object.');
    const entries = (body as { Entries?: unknown }).Entries;
    if (entries === undefined || entries === null) {
      return awsError(400, 'ValidationException', "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
    }
    if (!Array.isArray(entries)) return awsError(400, 'SerializationException', 'Entries must be a list.');
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      return awsError(400, 'ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`);
    }
    const shape = shapeError(entries);
    if (shape) return awsError(400, 'SerializationException', shape);
    const typed = entries as PutEventsEntry[];
    let total = 0;
    for (const e of typed) total += putEventsEntrySize(e);
    if (total > ctx.config.limits.aws.max_request_bytes) {
      return awsError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const requestId = randomUUID();
    const idBase = randomUUID();
    const results: ResultEntry[] = [];
    const failures: Record<string, number> = {};
    const acceptedIndexes: number[] = [];
    for (const [i, e] of typed.entries()) {
      const failure = entryError(e) ?? injectedFailure(ctx);
      if (failure) {
        results.push(failure);
        failures[failure.ErrorCode] = (failures[failure.ErrorCode] ?? 0) + 1;
      } else {
        results.push({ EventId: eventId(idBase, i) });
        acceptedIndexes.push(i);
      }
    }
    const accepted = acceptedIndexes.length;
    // Keep the body, not the parsed entries: inspection rebuilds them on demand.
    const raw = req.body;
    const receivedAt = req.receivedAt;
    ctx.events.push('aws', receivedAt, requestId, accepted, () => {
      const entries = (JSON.parse(raw.toString('utf8')) as { Entries: PutEventsEntry[] }).Entries;
      return acceptedIndexes.map((i): StoredAwsEvent => {
        const e = entries[i]!;
        // Without Time, EventBridge stamps the event with the time of the call.
        return { EventId: eventId(idBase, i), ...e, Time: e.Time ?? receivedAt / 1000 };
      });
    });
    return jsonReply(200, { FailedEntryCount: typed.length - accepted, Entries: results }, JSON_11, {
      headers: { 'x-amzn-requestid': requestId },
      accepted,
      entryFailures: failures,
    });
  },

  reset() {},
};

/** Entry i's EventId: a per-request random UUID whose last three hex digits are the index. */
function eventId(base: string, index: number): string {
  return `${base.slice(0, 33)}${index.toString(16).padStart(3, '0')}`;
}

function injectedFailure(ctx: EmulatorContext): { ErrorCode: string; ErrorMessage: string } | undefined {
  const code = ctx.faults.entryFailure('aws');
  if (code === undefined) return undefined;
  return { ErrorCode: code, ErrorMessage: code === 'ThrottlingException' ? 'Rate exceeded' : 'Internal failure.' };
}
