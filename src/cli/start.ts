import { enableCompileCache } from 'node:module';
import { isSea } from 'node:sea';
import { setFlagsFromString } from 'node:v8';
import { relaunch } from './runtime-profile.ts';

/**
 * How the installed command starts, for both ways it is installed: bin/log2events.js run by a
 * node (the npm package, the container image) and the standalone executable (node's
 * single-executable application, which has this code built in). The command first picks its
 * runtime profile (runtime-profile.ts) and, when the process was started with other V8 flags,
 * replaces itself with execve (same PID, same stdio); then it runs the CLI.
 *
 * The two differ only in how node flags reach the replacing process: a node takes them before
 * the script's path; the executable (built with `execArgvExtension: "cli"`) takes them as one
 * `--node-options="..."` argument, as it would take every other argument for the CLI.
 */
export async function start(): Promise<void> {
  const sea = isSea();
  // V8's compiled code for the bundle is kept on disk (under the OS temp dir, or
  // NODE_COMPILE_CACHE) and reused by the next start: ~50 ms less start-up. Where nothing is
  // writable it is skipped. The executable carries its own code cache.
  if (!sea) enableCompileCache();

  const args = process.argv.slice(2);
  const next = await relaunch(args, process.env, process.execArgv);
  if (next && typeof process.execve === 'function') {
    const nodeArgs = sea
      ? next.execArgv.length > 0
        ? [`--node-options=${next.execArgv.join(' ')}`]
        : []
      : [...next.execArgv, process.argv[1] ?? ''];
    try {
      process.execve(process.execPath, [process.execPath, ...nodeArgs, ...args], next.env);
    } catch (err) {
      // Still this process, with the flags it started with: slower or larger, never stopped by it.
      process.stderr.write(
        `log2events: could not restart for the ${next.profile} runtime profile (${(err as Error).message}); going on as started\n`,
      );
    }
  }

  // Between full collections V8 lets the old generation grow to several times its live size, and
  // a backlog promotes many short-lived events. Growing it by at most 20% keeps the peak resident
  // memory close to what is live: measured on bench/tail.ts, 1% matching, 145 -> ~100 MiB at the
  // same CPU time. Set here rather than with the other flags: an unknown V8 flag is ignored, not fatal.
  setFlagsFromString('--heap-growing-percent=20');

  const { main } = await import('./main.ts');
  process.exitCode = await main(args);
}
