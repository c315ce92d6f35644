import { loadConfigFile, type SinkConfig } from '../agent/load-config.ts';
import { EMULATOR_CREDENTIALS } from '../emulator/credentials.ts';
import type { HttpReply } from '../sinks/http-call.ts';
import { huaweiCall } from '../sinks/huawei/client.ts';
import { HuaweiConfigError, resolveHuaweiTarget } from '../sinks/huawei/credentials.ts';
import { authRenewal, parseHuaweiError } from '../sinks/huawei/error-classifier.ts';
import {
  EVENT_TYPES,
  LIST_DEFAULT_SUB_EVENT_TYPE,
  LIST_LIMIT,
  REPORTED_SUB_EVENT_TYPE,
  SUB_EVENT_TYPES,
} from '../sinks/huawei-ces/limits.ts';
import type { CesEventDetailAnswer, CesListEventsAnswer } from '../sinks/huawei-ces/wire.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, UsageError, type CliIO } from './command.ts';
import { tableLines } from './table.ts';

const USAGE = `Usage: log2events query -c FILE [--sink NAME] [options]

Asks Huawei Cloud Eye what it holds, with a huawei_ces sink's endpoint, project and credentials:
ListEvents (events per name and type, with their count, latest time and source) or, with
--detail NAME, ListEventDetail (the single events of one name).

Options:
  -c, --config FILE      the config file (required)
  --sink NAME            the huawei_ces sink to use (optional when the config has only one)
  --event-name NAME      ListEvents: only this event name
  --event-type TYPE      EVENT.CUSTOM or EVENT.SYS (--detail: default EVENT.CUSTOM)
  --sub-event-type TYPE  SUB_EVENT.CUSTOM (default: the custom events log2events reports),
                         SUB_EVENT.OPS or SUB_EVENT.PLAN; with --event-type EVENT.SYS the
                         default is Cloud Eye's own (SUB_EVENT.OPS)
  --from TIME            start: epoch milliseconds or an ISO 8601 time
  --to TIME              end: epoch milliseconds or an ISO 8601 time (after --from)
  --start N              pagination offset (default 0)
  --limit N              at most N rows, 1 to 100 (default 100)
  --detail NAME          list the events named NAME (ListEventDetail)
  --emulator-url URL     call a log2events emulator instead (its credentials unless the sink has some)
  --json                 print the API's answer as JSON
  -h, --help             this help`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  sink: { type: 'string' },
  'event-name': { type: 'string' },
  'event-type': { type: 'string' },
  'sub-event-type': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  start: { type: 'string' },
  limit: { type: 'string' },
  detail: { type: 'string' },
  'emulator-url': { type: 'string' },
  json: { type: 'boolean' },
} as const;

type CesSinkConfig = Extract<SinkConfig, { type: 'huawei_ces' }>;

function usage(message: string): UsageError {
  return new UsageError(`${message}\n\n${USAGE}`);
}

/** Epoch milliseconds or an ISO 8601 time → epoch milliseconds. */
export function parseQueryTime(value: string, flag: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw usage(`${flag} must be epoch milliseconds or an ISO 8601 time, got "${value}"`);
  return ms;
}

function intFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw usage(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return Number(value);
}

function oneOf(value: string | undefined, allowed: readonly string[], flag: string): string | undefined {
  if (value !== undefined && !allowed.includes(value)) throw usage(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

function iso(ms: unknown): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

function table(head: string[], rows: string[][]): string {
  const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);
  const cells = rows.map((r) => r.map((c) => clip(c.replace(/\s+/g, ' '))));
  return tableLines(head, cells).join('\n') + '\n';
}

function renderList(a: CesListEventsAnswer): string {
  const rows = (a.events ?? []).map((e) => [
    e.event_name ?? '',
    e.event_type ?? '',
    e.sub_event_type ?? '',
    String(e.event_count ?? ''),
    iso(e.latest_occur_time),
    e.latest_event_source ?? '',
  ]);
  const total = a.meta_data?.total ?? rows.length;
  if (rows.length === 0) return `no events (total ${total})\n`;
  return table(['EVENT NAME', 'TYPE', 'SUB TYPE', 'COUNT', 'LATEST', 'SOURCE'], rows) + `(${rows.length} of ${total})\n`;
}

function renderDetail(a: CesEventDetailAnswer): string {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const rows = (a.event_info ?? []).map((e) => [
    e.event_id ?? '',
    iso(e.time),
    e.event_source ?? '',
    text(e.detail?.event_level),
    text(e.detail?.event_state),
    text(e.detail?.resource_id),
    text(e.detail?.content),
  ]);
  const total = a.meta_data?.total ?? rows.length;
  if (rows.length === 0) return `no events (total ${total})\n`;
  return table(['EVENT ID', 'TIME', 'SOURCE', 'LEVEL', 'STATE', 'RESOURCE', 'CONTENT'], rows) + `(${rows.length} of ${total})\n`;
}

export async function queryCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(args, OPTIONS, USAGE, io);
  if (!parsed) return EXIT_OK;
  const v = parsed.values;
  const file = requireConfig(v.config, USAGE);
  const from = v.from !== undefined ? parseQueryTime(v.from, '--from') : undefined;
  const to = v.to !== undefined ? parseQueryTime(v.to, '--to') : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw usage('--from must be earlier than --to');
  const start = intFlag(v.start, '--start', 0, Number.MAX_SAFE_INTEGER);
  const limit = intFlag(v.limit, '--limit', LIST_LIMIT.min, LIST_LIMIT.max);
  const eventType = oneOf(v['event-type'], EVENT_TYPES, '--event-type');
  const subEventType = oneOf(v['sub-event-type'], SUB_EVENT_TYPES, '--sub-event-type');
  if (v.detail !== undefined && v['event-name'] !== undefined)
    throw usage('--event-name filters ListEvents; --detail already names the event');
  if (v['emulator-url'] !== undefined && !/^https?:\/\/[^/]/.test(v['emulator-url']))
    throw usage(`--emulator-url must be an http(s) URL, got "${v['emulator-url']}"`);

  const loaded = loadConfigFile(file);
  if (!loaded.ok) {
    io.stderr.write(loaded.errors.join('\n') + '\n');
    return EXIT_FAILURE;
  }
  const cesSinks = [...loaded.config.sinks.values()].filter((s): s is CesSinkConfig => s.type === 'huawei_ces');
  const sink = v.sink !== undefined ? loaded.config.sinks.get(v.sink) : cesSinks.length === 1 ? cesSinks[0] : undefined;
  if (!sink) {
    const names = cesSinks.map((s) => s.name).join(', ') || 'none';
    throw usage(
      v.sink !== undefined
        ? `no sink "${v.sink}" in ${file} (huawei_ces sinks: ${names})`
        : `name the huawei_ces sink with --sink (huawei_ces sinks: ${names})`,
    );
  }
  if (sink.type !== 'huawei_ces') throw usage(`sink "${sink.name}" is ${sink.type}; query reads Cloud Eye through a huawei_ces sink`);
  const cfg = sink.options;

  let target;
  try {
    target = resolveHuaweiTarget(
      'ces',
      cfg,
      v['emulator-url'] !== undefined ? { emulator: { url: v['emulator-url'], credentials: EMULATOR_CREDENTIALS } } : {},
    );
  } catch (err) {
    if (!(err instanceof HuaweiConfigError)) throw err;
    io.stderr.write(`log2events query: sink "${sink.name}": ${err.message}\n`);
    return EXIT_FAILURE;
  }

  const query: Record<string, string> = {};
  const set = (k: string, val: string | number | undefined) => {
    if (val !== undefined) query[k] = String(val);
  };
  set('event_type', v.detail !== undefined ? (eventType ?? 'EVENT.CUSTOM') : eventType);
  // Cloud Eye lists SUB_EVENT.OPS when a query names no sub-type (ListEvents reference): ask for
  // the custom events this agent reports unless told otherwise.
  const subType = subEventType ?? (eventType === 'EVENT.SYS' ? undefined : REPORTED_SUB_EVENT_TYPE);
  set('sub_event_type', subType);
  set('event_name', v['event-name']);
  set('from', from);
  set('to', to);
  set('start', start);
  set('limit', limit);
  const project = encodeURIComponent(target.projectId);
  const path = v.detail !== undefined ? `/V1.0/${project}/event/${encodeURIComponent(v.detail)}` : `/V1.0/${project}/events`;
  const call = () => huaweiCall(target, { method: 'GET', path, query }, 1, AbortSignal.timeout(cfg.timeout));
  let r = await call();
  // A signature refused as expired set the signing clock from the gateway's Date, an expired token
  // was dropped: the same query once more is signed right.
  if (r.ok && r.reply.status === 401 && authRenewal(parseHuaweiError(r.reply)) !== undefined) r = await call();
  if (!r.ok) {
    const o = r.failure.outcomes[0];
    io.stderr.write(
      `log2events query: ${target.endpoint}: ${o && o.kind !== 'delivered' ? `${o.code}: ${o.message}` : 'request failed'}\n`,
    );
    return EXIT_FAILURE;
  }
  const listing = `sub_event_type ${subType ?? `${LIST_DEFAULT_SUB_EVENT_TYPE} (Cloud Eye's default)`}${subEventType === undefined && subType !== undefined ? ' (the custom events log2events reports; --sub-event-type to change)' : ''}`;
  return printAnswer(r.reply, v.detail !== undefined, v.json === true, listing, io);
}

function printAnswer(reply: HttpReply, detail: boolean, json: boolean, listing: string, io: CliIO): number {
  if (reply.status !== 200) {
    const e = parseHuaweiError(reply);
    io.stderr.write(`log2events query: Cloud Eye answered HTTP ${e.status} ${e.code}: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  let answer: unknown;
  try {
    answer = JSON.parse(reply.body);
  } catch {
    io.stderr.write(`log2events query: Cloud Eye answered with a body that is not JSON\n`);
    return EXIT_FAILURE;
  }
  // Which sub-type is listed: on stdout with the table, on stderr beside JSON (stdout stays JSON).
  if (json) {
    io.stderr.write(`log2events query: listing ${listing}\n`);
    io.stdout.write(JSON.stringify(answer, null, 2) + '\n');
  } else {
    io.stdout.write(`Listing ${listing}\n`);
    io.stdout.write(detail ? renderDetail(answer as CesEventDetailAnswer) : renderList(answer as CesListEventsAnswer));
  }
  return EXIT_OK;
}
