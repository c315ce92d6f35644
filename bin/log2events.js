#!/usr/bin/env -S node --max-semi-space-size=2 --max-opt=2 --no-concurrent-recompilation
// Entry point of the published package: the CLI bundle in dist/bundle/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script; run node with --enable-source-maps for stack
// traces into src/).
//
// The shebang's flags are measured choices (bench/tail.ts, bench/otlp.ts; README, "Benchmarks"):
// --max-semi-space-size=2 (MiB): V8 otherwise grows the young generation to 16-32 MiB under a
//   backlog: peak RSS 216 -> 152 MiB and less system time at equal throughput. 1 MiB would save
//   ~3 MiB more but cuts the OTLP receiver's rate to a third (large requests promote early).
// --max-opt=2: optimise with Maglev, never TurboFan, whose code pages and compile zones cost
//   ~7 MiB; the file paths run at the same or lower CPU, while OTLP protobuf decoding drops from
//   ~360k to ~225k records/s per core (its target is 150k).
// --no-concurrent-recompilation: compile on the main thread, not in helper threads that each
//   keep a malloc arena: ~3 MiB.
// V8 takes --max-opt only on the command line (v8.setFlagsFromString below has no effect on it,
// NODE_OPTIONS refuses it). `node bin/log2events.js` runs without these flags, with TurboFan:
// the choice for an agent that mostly receives OTLP at hundreds of thousands of records/s.
import { enableCompileCache } from 'node:module';
import { setFlagsFromString } from 'node:v8';

// Between full collections V8 lets the old generation grow to several times its live size, and
// a backlog promotes many short-lived events. Growing it by at most 20% keeps the peak resident
// memory close to what is live: measured on bench/tail.ts, 1% matching, 145 -> ~100 MiB at the
// same CPU time. Set here rather than in the shebang: an unknown V8 flag is ignored, not fatal.
setFlagsFromString('--heap-growing-percent=20');

// V8's compiled code for the bundle is kept on disk (under the OS temp dir, or NODE_COMPILE_CACHE)
// and reused by the next start: ~50 ms less start-up. Where nothing is writable it is skipped.
enableCompileCache();
const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2));
