#!/usr/bin/env -S node --max-semi-space-size=2 --max-opt=2 --no-concurrent-recompilation
// Entry point of the published package: the CLI bundle in dist/bundle/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script; run node with --enable-source-maps for stack
// traces into src/).
//
// The shebang's flags are the lean runtime profile (src/cli/runtime-profile.ts): a 2 MiB young
// generation, Maglev as V8's top tier, compilation on the main thread. Measured on
// bench/tail.ts, they keep a file-tailing agent's peak RSS at ~78 MiB instead of ~95-105. A
// config that receives OTLP wants V8's defaults instead (its requests need a large young
// generation: bench/otlp.ts, ~340k instead of ~80k protobuf records/s per core), and V8 fixes
// those sizes at start: so this script first asks runtime-profile which profile the command
// wants and, if it is not the one running, replaces itself (execve: same PID, same stdio) with
// a node started with the right flags. LOG2EVENTS_RUNTIME=lean|throughput forces a profile.
import { enableCompileCache } from 'node:module';
import { setFlagsFromString } from 'node:v8';

// V8's compiled code for the bundle is kept on disk (under the OS temp dir, or NODE_COMPILE_CACHE)
// and reused by the next start: ~50 ms less start-up. Where nothing is writable it is skipped.
enableCompileCache();

const args = process.argv.slice(2);
const { relaunch } = await import('../dist/bundle/runtime-profile.js');
const next = await relaunch(args, process.env, process.execArgv);
if (next && typeof process.execve === 'function') {
  try {
    process.execve(process.execPath, [process.execPath, ...next.execArgv, process.argv[1], ...args], next.env);
  } catch (err) {
    // Still this process, with the flags it started with: slower or larger, never stopped by it.
    process.stderr.write(`log2events: could not restart node for the ${next.profile} runtime profile (${err.message}); going on as started\n`);
  }
}

// Between full collections V8 lets the old generation grow to several times its live size, and
// a backlog promotes many short-lived events. Growing it by at most 20% keeps the peak resident
// memory close to what is live: measured on bench/tail.ts, 1% matching, 145 -> ~100 MiB at the
// same CPU time. Set here rather than in the shebang: an unknown V8 flag is ignored, not fatal.
setFlagsFromString('--heap-growing-percent=20');

const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(args);
