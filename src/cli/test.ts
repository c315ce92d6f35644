import { loadConfigFile } from '../agent/load-config.ts';
import { runRuleTests } from '../rules/rule-tests.ts';
import { fileSourceConfig } from './simulated-input.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, type CliIO } from './command.ts';

const USAGE = `Usage: log2events test -c FILE [--tests FILE] [--verbose]

Runs rule unit tests: each test gives an input line (input:) or a log record (record:) and the
events expected (expect:, matched field by field; [] means no event). With format: and/or path:,
input: holds the lines of a tailed file (CRI/docker partial lines merge); pod: gives the pod's
metadata as 'kubectl get pod -o yaml' prints it. Tests come from the config's
tests: section, or from --tests FILE (a list, or a mapping with tests:).
Exit status: 0 all passed, 1 a test failed or the config is invalid.

Options:
  -c, --config FILE   the config file (required)
  -t, --tests FILE    read tests from this file instead of the config
  -v, --verbose       print the events each test produced
  -h, --help          this help`;

export async function testCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    { config: { type: 'string', short: 'c' }, tests: { type: 'string', short: 't' }, verbose: { type: 'boolean', short: 'v' } },
    USAGE,
    io,
  );
  if (!parsed) return EXIT_OK;
  const file = requireConfig(parsed.values.config as string | undefined, USAGE);
  const testsFile = parsed.values.tests as string | undefined;
  const result = loadConfigFile(file, testsFile ? { testsFile } : {});
  if (!result.ok) {
    io.stderr.write(result.errors.join('\n') + '\n');
    return EXIT_FAILURE;
  }
  const { config } = result;
  if (config.tests.length === 0) {
    io.stderr.write(`${testsFile ?? file}: no tests (add a tests: section or pass --tests FILE)\n`);
    return EXIT_FAILURE;
  }
  const defaultSource = config.sources.keys().next().value ?? 'stdin';
  const results = runRuleTests(config.rules, config.tests, defaultSource, {
    fileConfig: (source) => fileSourceConfig(config, source),
    kubernetes: config.kubernetes,
  });
  let failed = 0;
  for (const r of results) {
    io.stdout.write(`${r.passed ? 'PASS' : 'FAIL'} ${r.name}\n`);
    if (!r.passed) {
      failed++;
      for (const line of r.diff) io.stdout.write(`  ${line}\n`);
    }
    if (parsed.values.verbose || !r.passed) {
      for (const e of r.events)
        io.stdout.write(
          `    produced: ${JSON.stringify({ rule: e.rule, name: e.name, severity: e.severity, content: e.content, attributes: e.attributes })}\n`,
        );
    }
  }
  io.stdout.write(`${results.length} rule test(s): ${results.length - failed} passed, ${failed} failed\n`);
  return failed ? EXIT_FAILURE : EXIT_OK;
}
