import { loadConfigFile } from '../agent/load-config.ts';
import { StateStore, StateStoreError, storeError, type DeadLetter, type DeadLetterFilter } from '../store/state-store.ts';
import { storeErrorLine } from './store-errors.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, UsageError, type CliIO } from './command.ts';
import { tableLines } from './table.ts';

const USAGE = `Usage: log2events dlq <list|show|replay|purge> -c FILE [options]

Dead letters are events a sink rejected for good, or gave up on after retry.max_elapsed, kept
in the state store with the sink, the provider's code and message, and the attempts made.

  list            table of dead letters (--json: a JSON array, each with its event)
  show ID         one dead letter with its event, as JSON
  replay          put dead letters back in the spool: a running agent picks them up within
                  seconds, otherwise the next start delivers them
  purge           delete dead letters (needs --sink, --code, --id or --all)

Options:
  -c, --config FILE   the config file (required; its state_dir holds the store)
  --sink NAME         only dead letters of this sink
  --code CODE         only dead letters with this provider code
  --id ID             only this dead letter (replay, purge)
  --limit N           list at most N (default 100)
  --json              list as JSON
  --all               purge: every dead letter
  -h, --help          this help`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  sink: { type: 'string' },
  code: { type: 'string' },
  id: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
} as const;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"\n\n${USAGE}`);
  return Number(value);
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function eventOf(d: DeadLetter): Record<string, unknown> {
  try {
    return JSON.parse(d.body) as Record<string, unknown>;
  } catch {
    return { unreadable: d.body };
  }
}

function asJson(d: DeadLetter): Record<string, unknown> {
  return {
    id: d.id,
    sink: d.sink,
    code: d.code,
    message: d.message,
    attempts: d.attempts,
    first_attempt: d.firstAttempt === null ? null : iso(d.firstAttempt),
    last_attempt: d.lastAttempt === null ? null : iso(d.lastAttempt),
    dead_at: iso(d.createdAt),
    event: eventOf(d),
  };
}

function table(rows: DeadLetter[]): string {
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const cells = rows.map((d) => [
    String(d.id),
    d.sink,
    d.code,
    String(d.attempts),
    iso(d.lastAttempt ?? d.createdAt),
    clip(String(eventOf(d).name ?? ''), 24),
    clip(d.message.replace(/\s+/g, ' '), 60),
  ]);
  return tableLines(['ID', 'SINK', 'CODE', 'ATTEMPTS', 'LAST ATTEMPT', 'EVENT', 'MESSAGE'], cells).join('\n') + '\n';
}

export async function dlqCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(args, OPTIONS, USAGE, io, true);
  if (!parsed) return EXIT_OK;
  const [action, ...rest] = parsed.positionals;
  if (!action || !['list', 'show', 'replay', 'purge'].includes(action)) {
    throw new UsageError(`${action ? `unknown action "${action}"` : 'an action is required'}\n\n${USAGE}`);
  }
  const v = parsed.values;
  const file = requireConfig(v.config, USAGE);
  let showId: number | undefined;
  if (action === 'show') {
    if (rest.length !== 1) throw new UsageError(`show takes one dead letter id\n\n${USAGE}`);
    showId = positiveInt(rest[0], 'ID');
  } else if (rest.length > 0) {
    throw new UsageError(`unexpected argument "${rest[0]}"\n\n${USAGE}`);
  }
  const filter: DeadLetterFilter = {};
  if (v.sink !== undefined) filter.sink = v.sink;
  if (v.code !== undefined) filter.code = v.code;
  const id = positiveInt(v.id, '--id');
  if (id !== undefined) filter.id = id;
  const limit = positiveInt(v.limit, '--limit') ?? 100;
  if (action === 'purge' && !v.all && Object.keys(filter).length === 0) {
    throw new UsageError(`purge needs --sink, --code, --id or --all\n\n${USAGE}`);
  }

  const loaded = loadConfigFile(file);
  if (!loaded.ok) {
    io.stderr.write(loaded.errors.join('\n') + '\n');
    return EXIT_FAILURE;
  }
  let store: StateStore;
  try {
    // No agent lock: dead letters can be inspected and replayed while the agent runs.
    store = StateStore.open(loaded.config.state_dir, { lock: false });
  } catch (err) {
    if (err instanceof StateStoreError) {
      io.stderr.write(`log2events dlq: ${storeErrorLine(err, file)}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
  try {
    return run(store, action, filter, limit, showId, v.json === true, v.all === true, io);
  } catch (err) {
    // A page of the store found damaged (or a full disk) under a read or write: one line.
    io.stderr.write(`log2events dlq: ${storeErrorLine(storeError(store.file, err), file)}\n`);
    return EXIT_FAILURE;
  } finally {
    store.close();
  }
}

/** One dlq action on an open store. */
function run(
  store: StateStore,
  action: string,
  filter: DeadLetterFilter,
  limit: number,
  showId: number | undefined,
  json: boolean,
  all: boolean,
  io: CliIO,
): number {
  switch (action) {
    case 'list': {
      const rows = store.listDeadLetters(filter, limit);
      const total = store.countDeadLetters(filter);
      if (json) io.stdout.write(JSON.stringify(rows.map(asJson), null, 2) + '\n');
      else if (rows.length === 0) io.stdout.write('no dead letters\n');
      else {
        io.stdout.write(table(rows));
        if (total > rows.length) io.stdout.write(`(${rows.length} of ${total}; use --limit to see more)\n`);
      }
      return EXIT_OK;
    }
    case 'show': {
      if (showId === undefined) throw new UsageError(`show takes one dead letter id\n\n${USAGE}`);
      const d = store.getDeadLetter(showId);
      if (!d) {
        io.stderr.write(`log2events dlq: no dead letter with id ${showId}\n`);
        return EXIT_FAILURE;
      }
      io.stdout.write(JSON.stringify(asJson(d), null, 2) + '\n');
      return EXIT_OK;
    }
    case 'replay': {
      const n = store.replayDeadLetters(filter, Date.now());
      io.stdout.write(`replayed ${n} dead letter(s) into the spool\n`);
      return EXIT_OK;
    }
    default: {
      const n = store.purgeDeadLetters(all ? {} : filter);
      io.stdout.write(`purged ${n} dead letter(s)\n`);
      return EXIT_OK;
    }
  }
}
