import { loadConfigFile } from '../config/load.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, type CliIO } from './command.ts';

const USAGE = `Usage: log2events validate -c FILE

Checks a config file: YAML syntax, every key and type, regexes, templates, and that every rule
routes to sinks that exist. Prints every problem as file:line:col: path: message.
Exit status: 0 valid, 1 invalid, 2 usage error.

Options:
  -c, --config FILE   the config file (required)
  -h, --help          this help`;

export async function validateCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(args, { config: { type: 'string', short: 'c' } }, USAGE, io);
  if (!parsed) return EXIT_OK;
  const file = requireConfig(parsed.values.config as string | undefined, USAGE);
  const result = loadConfigFile(file);
  if (!result.ok) {
    io.stderr.write(result.errors.join('\n') + '\n');
    if (result.errors.length > 1) io.stderr.write(`${result.errors.length} problems found\n`);
    return EXIT_FAILURE;
  }
  const c = result.config;
  io.stdout.write(`${file}: ok (${c.sources.size} source(s), ${c.rules.length} rule(s), ${c.sinks.size} sink(s), ${c.tests.length} test(s))\n`);
  return EXIT_OK;
}
