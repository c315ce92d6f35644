import protobuf from 'protobufjs';

/**
 * The subset of the OTLP logs protocol (opentelemetry-proto, logs + collector + common +
 * resource) and google.rpc.Status that the receiver needs, written from the published field
 * numbers. Kept as text in a .ts module so the compiled package needs no data files next to it.
 * Fields we never read (schema_url, dropped counts, scope attributes) stay declared so the
 * wire layout is complete and readable; unknown fields are skipped by the decoder anyway.
 */
const COMMON_PROTO = `
syntax = "proto3";

package opentelemetry.proto.common.v1;

// In opentelemetry-proto these seven fields form \`oneof value\`. Declared here as plain fields
// (the wire format is the same): protobufjs keeps a oneof by deleting the sibling properties of
// every decoded value, which turns each AnyValue into a slow dictionary object and cost a fifth
// of the receiver's CPU. The record mapper tells the kind by the field present.
message AnyValue {
  string string_value = 1;
  bool bool_value = 2;
  int64 int_value = 3;
  double double_value = 4;
  ArrayValue array_value = 5;
  KeyValueList kvlist_value = 6;
  bytes bytes_value = 7;
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
`;

const RESOURCE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.resource.v1;
message Resource {
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
`;

const LOGS_PROTO = `
syntax = "proto3";
package opentelemetry.proto.logs.v1;

message LogsData { repeated ResourceLogs resource_logs = 1; }
message ResourceLogs {
  opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}
message ScopeLogs {
  opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  opentelemetry.proto.common.v1.AnyValue body = 5;
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
`;

const COLLECTOR_PROTO = `
syntax = "proto3";
package opentelemetry.proto.collector.logs.v1;

service LogsService {
  rpc Export(ExportLogsServiceRequest) returns (ExportLogsServiceResponse) {}
}
message ExportLogsServiceRequest {
  repeated opentelemetry.proto.logs.v1.ResourceLogs resource_logs = 1;
}
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess {
  int64 rejected_log_records = 1;
  string error_message = 2;
}
`;

const GOOGLE_PROTO = `
syntax = "proto3";
package google.protobuf;
message Any {
  string type_url = 1;
  bytes value = 2;
}
message Duration {
  int64 seconds = 1;
  int32 nanos = 2;
}
`;

const GOOGLE_RPC_PROTO = `
syntax = "proto3";
package google.rpc;
message Status {
  int32 code = 1;
  string message = 2;
  repeated google.protobuf.Any details = 3;
}
message RetryInfo { google.protobuf.Duration retry_delay = 1; }
`;

// The severity number is declared int32 rather than as the SeverityNumber enum: the wire
// encoding is identical (varint) and an int keeps out-of-range values visible to validation
// instead of being silently accepted as an unknown enum member.
function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const text of [COMMON_PROTO, RESOURCE_PROTO, LOGS_PROTO, COLLECTOR_PROTO, GOOGLE_PROTO, GOOGLE_RPC_PROTO]) {
    protobuf.parse(text, root, { keepCase: false });
  }
  root.resolveAll();
  return root;
}

const root = buildRoot();

export const ExportLogsServiceRequestType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const ExportLogsServiceResponseType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const StatusType = root.lookupType('google.rpc.Status');
export const LogRecordType = root.lookupType('opentelemetry.proto.logs.v1.LogRecord');
export const ResourceType = root.lookupType('opentelemetry.proto.resource.v1.Resource');
export const InstrumentationScopeType = root.lookupType('opentelemetry.proto.common.v1.InstrumentationScope');
export const RetryInfoType = root.lookupType('google.rpc.RetryInfo');

export const LOGS_SERVICE_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** protobufjs decodes 64-bit fields into `Long` (the `long` package is installed) or a number. */
export interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

/**
 * Shapes of the decoded messages as protobufjs hands them over (camelCase field names); parsed
 * JSON has the same keys, with hex strings for ids and strings or numbers for 64-bit integers,
 * so one mapper serves both encodings. They are what a well-formed record looks like: the
 * mapper checks every value, since JSON can put anything anywhere.
 */
/** Set fields are own properties (protobufjs keeps the defaults on the prototype). */
export interface RawAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongLike | number | string;
  doubleValue?: number | string;
  arrayValue?: { values?: RawAnyValue[] };
  kvlistValue?: { values?: RawKeyValue[] };
  bytesValue?: Uint8Array | string;
}
export interface RawKeyValue {
  key?: string;
  value?: RawAnyValue;
}
export interface RawLogRecord {
  timeUnixNano?: LongLike | number | string;
  observedTimeUnixNano?: LongLike | number | string;
  severityNumber?: number | string;
  severityText?: string;
  body?: RawAnyValue;
  attributes?: RawKeyValue[];
  /** A number, or decimal text (JSON). */
  flags?: number | string;
  /** Bytes (protobuf) or hex text (JSON). */
  traceId?: Uint8Array | string;
  spanId?: Uint8Array | string;
  eventName?: string;
}
