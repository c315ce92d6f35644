import type { TapItem } from '../agent/tap.ts';
import { adminUrl, unreachable } from './admin-client.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, UsageError, type CliIO } from './command.ts';

const USAGE = `Usage: log2events tap -c FILE [--rule NAME]... [--sink NAME]... [--json] [--limit N]

Shows live, from the agent running with config FILE, the events its rules produce and what
became of them at each sink (delivered, retry, dead letter), until interrupted. Asks the
agent's admin endpoint (admin.listen). The agent never waits for a slow reader: what the
reader cannot take in time is dropped, and a line says how many.

Options:
  -c, --config FILE   the running agent's config file (for admin.listen)
      --admin URL     the admin endpoint's URL instead (e.g. http://127.0.0.1:8686)
      --rule NAME     only events of this rule (repeatable)
      --sink NAME     only events routed to, and outcomes of, this sink (repeatable)
      --json          one JSON object per line, as the endpoint sends them
      --limit N       exit after N events and outcomes
  -h, --help          this help`;

export async function tapCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      config: { type: 'string', short: 'c' },
      admin: { type: 'string' },
      rule: { type: 'string', multiple: true },
      sink: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      limit: { type: 'string' },
    },
    USAGE,
    io,
  );
  if (!parsed) return EXIT_OK;
  const v = parsed.values as { config?: string; admin?: string; rule?: string[]; sink?: string[]; json?: boolean; limit?: string };
  const url = adminUrl(v.config, v.admin, USAGE);
  const limit = v.limit === undefined ? Infinity : Number(v.limit);
  if (!(limit > 0 && (limit === Infinity || Number.isInteger(limit))))
    throw new UsageError(`--limit: not a positive whole number: ${v.limit}\n\n${USAGE}`);
  const q = new URLSearchParams();
  for (const r of v.rule ?? []) q.append('rule', r);
  for (const s of v.sink ?? []) q.append('sink', s);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let seen = 0;
  try {
    let res: Response;
    try {
      res = await fetch(`${url}/tap${q.size > 0 ? `?${q}` : ''}`, { signal: stop.signal });
      if (!res.ok || !res.body) throw new Error(res.status === 404 ? 'this agent has no /tap (an older version?)' : `HTTP ${res.status}`);
    } catch (err) {
      io.stderr.write(`log2events tap: ${unreachable(url, err)}\n`);
      return EXIT_FAILURE;
    }
    let buf = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const item = JSON.parse(line) as TapItem | { type: 'tap' };
          if (item.type === 'tap') continue;
          io.stdout.write(v.json ? `${line}\n` : `${human(item)}\n`);
          if (item.type !== 'dropped' && ++seen >= limit) return EXIT_OK;
        }
      }
    } catch (err) {
      if (!stop.signal.aborted) {
        io.stderr.write(`log2events tap: the stream ended: ${(err as Error).message}\n`);
        return EXIT_FAILURE;
      }
    }
    return EXIT_OK;
  } finally {
    stop.abort();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function human(i: TapItem): string {
  const t = i.time.slice(11, 23);
  switch (i.type) {
    case 'event':
      return `${t} event     ${i.rule} ${i.name} id=${i.id} from ${i.source} to ${i.to.join(',')}: ${i.content}`;
    case 'delivery':
      return `${t} ${i.outcome.padEnd(9)} ${i.sink} ${i.rule} id=${i.id}${i.code ? ` ${i.code}: ${i.message}` : ''}`;
    case 'dropped':
      return `${t} (dropped ${i.count} items: this reader was too slow)`;
  }
}
