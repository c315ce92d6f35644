/**
 * AWS EventBridge / CloudWatch Events `PutEvents` and `DescribeEventBus` (JSON 1.1 protocol,
 * SigV4 `events`).
 * Request-level problems are `{__type, message}` errors; entry-level ones are per-entry
 * `ErrorCode`/`ErrorMessage` inside a 200, index-aligned with the request.
 */
import { randomUUID } from 'node:crypto';
import {
  defaultMaxRequestBytes,
  entryRuleProblem,
  EVENT_BUS_PATTERN,
  MAX_ENTRIES,
  putEventsEntrySize,
  requestConstraintProblem,
} from '../sinks/aws-eventbridge/limits.ts';
import {
  DESCRIBE_EVENT_BUS_TARGET,
  JSON_11,
  PUT_EVENTS_TARGET,
  type PutEventsEntry,
  type PutEventsResultEntry,
} from '../sinks/aws-eventbridge/wire.ts';
import type { EmulatorContext, ProviderApi } from './api.ts';
import { type Reply, header, jsonReply, retryAfterSeconds } from './http.ts';
import { verifySigV4 } from './sigv4.ts';

export { PUT_EVENTS_TARGET, putEventsEntrySize, type PutEventsEntry };

export function awsError(status: number, type: string, message: string, extraHeaders: Record<string, string> = {}): Reply {
  return jsonReply(status, { __type: type, message }, JSON_11, {
    headers: { 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': type, ...extraHeaders },
    errorCode: type,
  });
}

export interface StoredAwsEvent extends PutEventsEntry {
  EventId: string;
}

const STRING_FIELDS = ['Source', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader'] as const;

/** Shape check the JSON deserializer does: wrong types are SerializationException. */
function shapeError(entries: unknown[]): string | undefined {
  for (const [i, raw] of entries.entries()) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return `Entries[${i}] must be an object`;
    const e = raw as Record<string, unknown>;
    for (const f of STRING_FIELDS)
      if (e[f] !== undefined && e[f] !== null && typeof e[f] !== 'string') return `Entries[${i}].${f} must be a string`;
    if (e.Time !== undefined && e.Time !== null && (typeof e.Time !== 'number' || !Number.isFinite(e.Time)))
      return `Entries[${i}].Time must be a number (epoch seconds)`;
    if (
      e.Resources !== undefined &&
      e.Resources !== null &&
      (!Array.isArray(e.Resources) || e.Resources.some((r) => typeof r !== 'string'))
    ) {
      return `Entries[${i}].Resources must be a list of strings`;
    }
  }
  return undefined;
}

/** Source, DetailType and Detail are required; a request where no entry has all three fails as a whole (botocore). */
function lacksRequired(e: PutEventsEntry): boolean {
  return !e.Source || !e.DetailType || !e.Detail;
}

export const awsApi: ProviderApi = {
  provider: 'aws',

  matches: (req) => req.headers['x-amz-target'] !== undefined,
  isRead: (req) => header(req, 'x-amz-target') === DESCRIBE_EVENT_BUS_TARGET,

  authenticate(req, ctx) {
    const creds = ctx.config.credentials.aws;
    const check = verifySigV4(
      { method: req.method, path: req.rawPath, query: req.query, headers: req.headers, body: req.body },
      {
        accessKeyId: creds.access_key_id,
        secretAccessKey: creds.secret_access_key,
        region: creds.region,
        service: 'events',
        now: req.receivedAt,
      },
    );
    if (check.ok) return undefined;
    // JSON 1.1 services answer signature problems with HTTP 400 (PROVIDERS.md, December 2026);
    // a request with no signature at all gets 403 (EventBridge common errors).
    switch (check.reason) {
      case 'missing':
        return awsError(403, 'MissingAuthenticationTokenException', check.message);
      case 'malformed':
        return awsError(400, 'IncompleteSignatureException', check.message);
      case 'unknown_key':
        return awsError(400, 'UnrecognizedClientException', check.message);
      default:
        // 'expired' included: "Signature expired: … is now earlier than … (… - 5 min.)".
        return awsError(400, 'InvalidSignatureException', check.message);
    }
  },

  throttled: (_req, retryAfterMs) => ({
    ...awsError(
      400,
      'ThrottlingException',
      'Rate exceeded',
      retryAfterMs !== undefined ? { 'retry-after': retryAfterSeconds(retryAfterMs) } : {},
    ),
    throttled: true,
  }),

  serverError: (_req, status) =>
    status === 503
      ? awsError(503, 'ServiceUnavailable', 'Service is unavailable. Try again later.')
      : awsError(500, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.'),

  handle(req, ctx) {
    if (req.method !== 'POST' || req.rawPath !== '/')
      return awsError(404, 'UnknownOperationException', `${req.method} ${req.rawPath} is not served`);
    const target = header(req, 'x-amz-target');
    if (target === DESCRIBE_EVENT_BUS_TARGET) return describeEventBus(req.body, ctx);
    if (target !== PUT_EVENTS_TARGET)
      return awsError(
        400,
        'UnknownOperationException',
        `Operation ${target ?? ''} is not emulated (only ${PUT_EVENTS_TARGET} and ${DESCRIBE_EVENT_BUS_TARGET}).`,
      );
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return awsError(400, 'SerializationException', 'Start of structure or map found where not expected.');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return awsError(400, 'SerializationException', 'Request body must be a JSON object.');
    const entries = (body as { Entries?: unknown }).Entries;
    if (entries === undefined || entries === null) {
      return awsError(
        400,
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    if (!Array.isArray(entries)) return awsError(400, 'SerializationException', 'Entries must be a list.');
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      return awsError(
        400,
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const shape = shapeError(entries);
    if (shape) return awsError(400, 'SerializationException', shape);
    const typed = entries as PutEventsEntry[];
    for (const [i, e] of typed.entries()) {
      const problem = requestConstraintProblem(e, i);
      if (problem) return awsError(400, problem.code, problem.message);
    }
    let total = 0;
    for (const e of typed) total += putEventsEntrySize(e);
    const limit = ctx.config.limits.aws.max_request_bytes ?? defaultMaxRequestBytes(ctx.config.credentials.aws.region);
    if (total > limit) {
      return awsError(
        400,
        'ValidationException',
        `Total size of the entries in the request is over the limit (${total} > ${limit} bytes).`,
      );
    }
    if (typed.every(lacksRequired)) {
      return awsError(400, 'ValidationException', 'No entry in the request has all of Source, DetailType and Detail.');
    }
    const requestId = randomUUID();
    const idBase = randomUUID();
    const results: PutEventsResultEntry[] = [];
    const failures: Record<string, number> = {};
    const acceptedIndexes: number[] = [];
    for (const [i, e] of typed.entries()) {
      const problem = entryRuleProblem(e);
      const failure = problem ? { ErrorCode: problem.code, ErrorMessage: problem.message } : injectedFailure(ctx);
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
      return acceptedIndexes.flatMap((i): StoredAwsEvent[] => {
        const e = entries[i];
        if (!e) return [];
        // Without Time, EventBridge stamps the event with the time of the call.
        return [{ EventId: eventId(idBase, i), ...e, Time: e.Time ?? receivedAt / 1000 }];
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

/** The emulated account, in the ARNs it answers with. */
const ACCOUNT_ID = '123456789012';

/** Every bus name exists (PutEvents takes any): DescribeEventBus names it and gives its ARN. */
function describeEventBus(raw: Buffer, ctx: EmulatorContext): Reply {
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch {
    return awsError(400, 'SerializationException', 'Start of structure or map found where not expected.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return awsError(400, 'SerializationException', 'Request body must be a JSON object.');
  const given = (body as { Name?: unknown }).Name ?? 'default';
  if (typeof given !== 'string') return awsError(400, 'SerializationException', 'Name must be a string.');
  if (!EVENT_BUS_PATTERN.test(given)) {
    return awsError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${given.slice(0, 100)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ${EVENT_BUS_PATTERN.source}`,
    );
  }
  const name = given.slice(given.lastIndexOf('/') + 1);
  const arn = `arn:aws:events:${ctx.config.credentials.aws.region}:${ACCOUNT_ID}:event-bus/${name}`;
  return jsonReply(200, { Name: name, Arn: arn }, JSON_11, { headers: { 'x-amzn-requestid': randomUUID() } });
}

/** Entry i's EventId: a per-request random UUID whose last three hex digits are the index. */
function eventId(base: string, index: number): string {
  return `${base.slice(0, 33)}${index.toString(16).padStart(3, '0')}`;
}

function injectedFailure(ctx: EmulatorContext): { ErrorCode: string; ErrorMessage: string } | undefined {
  const code = ctx.faults.entryFailure('aws');
  if (code === undefined) return undefined;
  return { ErrorCode: code, ErrorMessage: code === 'ThrottlingException' ? 'Rate exceeded' : 'Internal failure.' };
}
