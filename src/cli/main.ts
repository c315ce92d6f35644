import { VERSION } from '../version.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIO, UsageError, type CliIO } from './command.ts';

const USAGE = `log2events ${VERSION}: turns log lines and OpenTelemetry log records into cloud events.

Usage: log2events <command> [options]

Commands:
  run        run the agent: sources → rules → spool → sinks (-c FILE)
  status     a running agent's sources and sinks at a glance (from admin.listen)
  tap        watch a running agent's events and their delivery live (from admin.listen)
  validate   check a config file and print every problem as file:line:col
  test       run the rule unit tests of a config (tests: section or --tests FILE)
  eval       dry run: lines on stdin → events as JSON lines on stdout
  dlq        list, show, replay or purge dead letters
  state      check the state store, or move a damaged one aside (reset)
  query      query Huawei Cloud Eye events (ListEvents, ListEventDetail) through a huawei_ces sink
  emulator   serve the provider APIs (AWS, Alibaba, Huawei Cloud Eye and AOM) on loopback
  version    print the version

Run "log2events <command> --help" for a command's options.`;

type Command = (args: string[], io: CliIO) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.ts')).runCommand,
  status: async () => (await import('./status.ts')).statusCommand,
  tap: async () => (await import('./tap.ts')).tapCommand,
  validate: async () => (await import('./validate.ts')).validateCommand,
  test: async () => (await import('./test.ts')).testCommand,
  eval: async () => (await import('./eval.ts')).evalCommand,
  dlq: async () => (await import('./dlq.ts')).dlqCommand,
  state: async () => (await import('./state.ts')).stateCommand,
  query: async () => (await import('./query.ts')).queryCommand,
  emulator: async () => (await import('./emulator.ts')).emulatorCommand,
};

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return name ? EXIT_OK : EXIT_USAGE;
  }
  if (name === 'version' || name === '--version') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`log2events: unknown command "${name}"\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`log2events ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    // A store that failed under a command is the user's business, not a bug: one line (by name:
    // the store module is not loaded for commands that do not use it).
    if (err instanceof Error && err.name === 'StateStoreError') io.stderr.write(`log2events ${name}: ${err.message}\n`);
    else io.stderr.write(`log2events ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT_FAILURE;
  }
}

// Run directly (`node src/cli/main.ts ...`, as the tests do); the installed command runs start.ts.
// No top-level await: the standalone executable's bundle is CommonJS, which has none.
if (import.meta.main) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
