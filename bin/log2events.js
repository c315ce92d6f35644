#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of the published package: the CLI bundle in dist/bundle/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script; run node with --enable-source-maps for stack
// traces into src/).
//
// --max-semi-space-size=2 (MiB): V8 otherwise grows the young generation to 16-32 MiB under a
// backlog. Measured on bench/tail.ts: peak RSS 216 -> 152 MiB and less system time, at equal or
// better throughput (1 MiB saves another ~3 MiB but costs ~5% more CPU in a backlog).
// `node bin/log2events.js` skips the flag; the installed command applies it.
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
