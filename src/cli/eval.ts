import { loadConfigFile } from '../config/load.ts';
import { LineSplitter } from '../sources/line-splitter.ts';
import { lineRecord } from '../sources/line-record.ts';
import { eventJsonLine } from '../sinks/event-json.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, UsageError, type CliIO } from './command.ts';

const USAGE = `Usage: log2events eval -c FILE [--source NAME]

A dry run: reads log lines on standard input, applies the rules and prints the resulting events
as JSON lines on standard output. Nothing is spooled or sent.

Options:
  -c, --config FILE   the config file (required)
  -s, --source NAME   treat the lines as coming from this source (for rules with from:);
                      default: the config's first source, or "stdin"
  -h, --help          this help`;

export async function evalCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(args, { config: { type: 'string', short: 'c' }, source: { type: 'string', short: 's' } }, USAGE, io);
  if (!parsed) return EXIT_OK;
  const file = requireConfig(parsed.values.config as string | undefined, USAGE);
  const result = loadConfigFile(file);
  if (!result.ok) {
    io.stderr.write(result.errors.join('\n') + '\n');
    return EXIT_FAILURE;
  }
  const config = result.config;
  const source = (parsed.values.source as string | undefined) ?? config.sources.keys().next().value ?? 'stdin';
  if (parsed.values.source && !config.sources.has(source)) {
    throw new UsageError(`unknown source "${source}" (defined: ${[...config.sources.keys()].join(', ') || 'none'})`);
  }
  const splitter = new LineSplitter(1024 * 1024);
  let n = 0;
  const onLine = (line: string) => {
    n++;
    for (const event of config.compiled.process(lineRecord(line, { 'log.source': 'eval' }, `eval:${n}`), source)) {
      io.stdout.write(eventJsonLine(event));
    }
  };
  for await (const chunk of io.stdin) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer), onLine);
  splitter.end(onLine);
  return EXIT_OK;
}
