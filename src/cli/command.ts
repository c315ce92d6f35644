import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Readable, Writable } from 'node:stream';

/** Where a command reads and writes; tests pass their own streams. */
export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export const processIO: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** `run --once --once-timeout`: the input was read, but events were still undelivered (they stay spooled). */
export const EXIT_UNDELIVERED = 3;
/** `run --once`: every event was settled, but some went to dead letters during the run (`log2events dlq list`). */
export const EXIT_DEAD_LETTERED = 4;

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's flags strictly (unknown flags are errors) and handles `--help`.
 * Returns undefined when help was printed.
 */
export function parseCommandArgs<O extends Options>(args: string[], options: O, usage: string, io: CliIO, allowPositionals = false) {
  const withHelp = { ...options, help: { type: 'boolean', short: 'h' } } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, options: withHelp, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    io.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    return undefined;
  }
  return parsed;
}

/** The `-c FILE` every config-reading command needs. */
export function requireConfig(value: string | undefined, usage: string): string {
  if (!value) throw new UsageError(`-c, --config FILE is required\n\n${usage}`);
  return value;
}
