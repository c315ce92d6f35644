import type { AgentStatus } from '../agent/agent.ts';
import { adminUrl, unreachable } from './admin-client.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, type CliIO } from './command.ts';
import { tableLines } from './table.ts';

const USAGE = `Usage: log2events status -c FILE [--admin URL] [--json]

Shows, on one screen, what the agent running with config FILE is doing: per source the records
read and events made, per sink its state (ok, degraded, failing), events in, delivered, retried,
dead-lettered, the spool depth and age of its oldest event, and the last error. Asks the
agent's admin endpoint (admin.listen), so the agent must run with it.

Options:
  -c, --config FILE   the running agent's config file (for admin.listen)
      --admin URL     the admin endpoint's URL instead (e.g. http://127.0.0.1:8686)
      --json          print the endpoint's JSON (/status) as it is
  -h, --help          this help`;

export async function statusCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    { config: { type: 'string', short: 'c' }, admin: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
    io,
  );
  if (!parsed) return EXIT_OK;
  const v = parsed.values as { config?: string; admin?: string; json?: boolean };
  const url = adminUrl(v.config, v.admin, USAGE);
  let status: AgentStatus;
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    status = (await res.json()) as AgentStatus;
  } catch (err) {
    io.stderr.write(`log2events status: ${unreachable(url, err)}\n`);
    return EXIT_FAILURE;
  }
  io.stdout.write(v.json ? `${JSON.stringify(status, null, 2)}\n` : render(status, Date.now()));
  return EXIT_OK;
}

/** The one-screen summary. */
export function render(s: AgentStatus, now: number): string {
  const lines: string[] = [];
  lines.push(`agent pid ${s.pid} ${s.state}, config ${s.config}, ${s.rules} rules`);
  if (s.spool) lines.push(`spool: ${s.spool.events} events (${bytes(s.spool.bytes)}), ${s.spool.held_events} delivered from memory`);
  lines.push('');
  lines.push(
    ...tableLines(
      ['SOURCE', 'TYPE', 'STATE', 'RECORDS', 'EVENTS', 'LAST ERROR'],
      Object.entries(s.sources ?? {}).map(([n, x]) => [
        n,
        x.type,
        x.state,
        String(x.records_in),
        String(x.events_out),
        x.last_error ? `${age(now - Date.parse(x.last_error.time))} ago ${oneLine(x.last_error.message)}` : '-',
      ]),
    ),
  );
  lines.push('');
  const sinkRows = Object.entries(s.sinks ?? {}).map(([n, x]) => [
    n,
    x.state,
    String(x.events_in),
    String(x.delivered),
    String(x.retried),
    String(x.dead_lettered),
    String(x.spooled),
    x.oldest_age_ms === null ? '-' : age(x.oldest_age_ms),
    x.last_error ? `${age(now - Date.parse(x.last_error.time))} ago ${x.last_error.code}: ${oneLine(x.last_error.message)}` : '-',
  ]);
  lines.push(...tableLines(['SINK', 'STATE', 'IN', 'DELIVERED', 'RETRIED', 'DEAD', 'SPOOLED', 'OLDEST', 'LAST ERROR'], sinkRows));
  return lines.join('\n') + '\n';
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
