import { loadConfigFile } from '../agent/load-config.ts';
import { RuleRunner } from '../rules/rule-runner.ts';
import { LineSplitter } from '../sources/line-splitter.ts';
import { lineRecord } from '../sources/line-record.ts';
import { eventJsonLine } from '../sinks/event-json.ts';
import type { LogRecord } from '../model/log-record.ts';
import { simulatesFile } from '../sources/simulate.ts';
import { formatFlag, podFile, simulatedLines } from './simulated-input.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, UsageError, type CliIO } from './command.ts';

const USAGE = `Usage: log2events eval -c FILE [--source NAME] [--format F] [--path P] [--pod FILE]

A dry run: reads log lines on standard input, applies the rules and prints the resulting events
as JSON lines on standard output. Nothing is spooled or sent.

Options:
  -c, --config FILE   the config file (required)
  -s, --source NAME   treat the lines as coming from this source (for rules with from:);
                      default: the config's first source, or "stdin"
  -f, --format F      read the lines as a file source does: plain, json, cri, docker or auto
                      (CRI/docker partial lines merge; a file source's settings apply)
  -p, --path P        as if tailed from this file: log.file.* attributes, and the Kubernetes
                      names of a /var/log/pods/<ns>_<pod>_<uid>/<container>/N.log path
      --pod FILE      the pod's metadata, as 'kubectl get pod NAME -o yaml' prints it
  -h, --help          this help`;

export async function evalCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      config: { type: 'string', short: 'c' },
      source: { type: 'string', short: 's' },
      format: { type: 'string', short: 'f' },
      path: { type: 'string', short: 'p' },
      pod: { type: 'string' },
    },
    USAGE,
    io,
  );
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
  const input = {
    format: formatFlag(parsed.values.format as string | undefined),
    path: parsed.values.path as string | undefined,
    pod: podFile(parsed.values.pod as string | undefined, config),
  };
  const rules = new RuleRunner(config.compiled);
  const emit = (record: LogRecord) => {
    for (const event of rules.process(record, source)) io.stdout.write(eventJsonLine(event));
  };
  const splitter = new LineSplitter(1024 * 1024);
  let onLine: (line: string) => void;
  let end = (): void => {};
  if (simulatesFile(input)) {
    // The record model of a tailed file: same decoders, attributes and pod metadata as `run`.
    const lines = simulatedLines(config, source, input, 'eval');
    onLine = (line) => lines.push(line).forEach(emit);
    end = () => lines.end().forEach(emit);
  } else {
    let n = 0;
    onLine = (line) => emit(lineRecord(line, { 'log.source': 'eval' }, `eval:${++n}`));
  }
  for await (const chunk of io.stdin) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer), onLine);
  splitter.end(onLine);
  end();
  return EXIT_OK;
}
