import { loadConfigFile } from '../agent/load-config.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, type CliIO } from './command.ts';

const USAGE = `Usage: log2events validate -c FILE [--check-sinks]

Checks a config file: YAML syntax, every key and type, regexes, templates, and that every rule
routes to sinks that exist. Prints every problem as file:line:col: path: message.
With --check-sinks, also calls each cloud sink's provider with a harmless read (EventBridge
DescribeEventBus, Cloud Eye ListEvents, AOM ListEvents, CloudMonitor DescribeCustomEventAttribute)
to prove its endpoint and credentials; file, http and stdout sinks are skipped.
Exit status: 0 valid (and every check passed), 1 invalid or a check failed, 2 usage error.

Options:
  -c, --config FILE   the config file (required)
  --check-sinks       call each cloud sink's provider (one line per sink)
  -h, --help          this help`;

export async function validateCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(args, { config: { type: 'string', short: 'c' }, 'check-sinks': { type: 'boolean' } }, USAGE, io);
  if (!parsed) return EXIT_OK;
  const file = requireConfig(parsed.values.config as string | undefined, USAGE);
  const result = loadConfigFile(file);
  if (!result.ok) {
    io.stderr.write(result.errors.join('\n') + '\n');
    if (result.errors.length > 1) io.stderr.write(`${result.errors.length} problems found\n`);
    return EXIT_FAILURE;
  }
  const c = result.config;
  io.stdout.write(
    `${file}: ok (${c.sources.size} source(s), ${c.rules.length} rule(s), ${c.sinks.size} sink(s), ${c.tests.length} test(s))\n`,
  );
  if (parsed.values['check-sinks'] !== true) return EXIT_OK;
  // Loaded only when asked for: building sinks loads the providers' clients.
  return (await import('./check-sinks.ts')).checkConfiguredSinks(c, io);
}
