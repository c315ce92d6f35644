import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * The V8 settings the installed command runs with, chosen per process from what it will do.
 *
 * Two workloads want opposite young generations. Tailing files wants a small one: a backlog
 * read keeps thousands of events alive for a few milliseconds, and V8 would otherwise grow the
 * young generation to 16-32 MiB (bench/tail.ts: peak RSS ~105 MiB with 16 MiB semi-spaces,
 * ~78 MiB with 2, less with 1). The OTLP receiver wants a large one: each 500-record request decodes into
 * ~1 MB of objects that live until the request is answered, and 2 MiB semi-spaces promote them
 * all (bench/otlp.ts: protobuf end to end ~80k records/s per core instead of ~340k). V8 fixes
 * these sizes when the process starts, so bin/log2events.js starts with the lean flags of its
 * shebang and, when the config receives OTLP, replaces itself (execve: same PID, same stdio) by
 * a node with V8's defaults.
 */
export type RuntimeProfile = 'lean' | 'throughput';

/** Forces a profile (`lean` or `throughput`) instead of the choice by config. */
export const PROFILE_ENV = 'LOG2EVENTS_RUNTIME';
/** Set on the replaced process: it never replaces itself twice. */
const RELAUNCHED_ENV = 'LOG2EVENTS_RUNTIME_APPLIED';

/**
 * The lean profile: the flags of bin/log2events.js's shebang (kept equal by a test). 1 MiB
 * semi-spaces (the smallest young generation: the backlog's peak and the idle heap are lower
 * at the same CPU time, see bench/README.md); Maglev as the top tier (TurboFan's code and compile zones cost ~7 MiB);
 * compilation on the main thread (helper threads each keep a malloc arena: ~3 MiB).
 */
export const LEAN_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-opt=2', '--no-concurrent-recompilation'];

/** The profile a node started with these flags runs. */
export function currentProfile(execArgv: readonly string[]): RuntimeProfile {
  return LEAN_FLAGS.every((f) => execArgv.includes(f)) ? 'lean' : 'throughput';
}

/**
 * The profile for a command line: `run` by its config (any `otlp` source: throughput), the
 * emulator (an HTTP server under load) throughput; undefined for the short commands, which
 * keep whatever they started with.
 */
export async function wantedProfile(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Promise<RuntimeProfile | undefined> {
  const forced = env[PROFILE_ENV];
  if (forced === 'lean' || forced === 'throughput') return forced;
  if (args[0] === 'emulator') return 'throughput';
  if (args[0] !== 'run') return undefined;
  const { values } = parseArgs({
    args: args.slice(1),
    options: { config: { type: 'string', short: 'c' } },
    strict: false,
    allowPositionals: true,
  });
  if (typeof values.config !== 'string') return undefined;
  return (await receivesOtlp(values.config, read)) ? 'throughput' : 'lean';
}

/** Whether the config file has an `otlp` source; false when it cannot be read or parsed (`run` reports that). */
async function receivesOtlp(path: string, read: (path: string) => string): Promise<boolean> {
  let text: string;
  try {
    text = read(path);
  } catch {
    return false;
  }
  // Most configs never mention it: no YAML parser needed to know.
  if (!text.includes('otlp')) return false;
  // yaml is CommonJS: bundled, a dynamic import hands it over as the default export.
  const yaml: { parse?: (src: string) => unknown; default?: { parse: (src: string) => unknown } } = await import('yaml');
  const parse = yaml.parse ?? yaml.default?.parse;
  if (!parse) return false;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return false;
  }
  const sources = (doc as { sources?: unknown } | null)?.sources;
  if (sources === null || typeof sources !== 'object') return false;
  return Object.values(sources).some((s) => (s as { type?: unknown } | null)?.type === 'otlp');
}

/** What to replace this process with (node flags and environment), or undefined to go on as is. */
export async function relaunch(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[],
  read?: (path: string) => string,
): Promise<{ execArgv: string[]; env: NodeJS.ProcessEnv; profile: RuntimeProfile } | undefined> {
  if (env[RELAUNCHED_ENV]) return undefined;
  const wanted = await wantedProfile(args, env, read);
  if (wanted === undefined || wanted === currentProfile(execArgv)) return undefined;
  const rest = execArgv.filter((f) => !LEAN_FLAGS.includes(f));
  return {
    execArgv: wanted === 'lean' ? [...LEAN_FLAGS, ...rest] : rest,
    env: { ...env, [RELAUNCHED_ENV]: '1' },
    profile: wanted,
  };
}
