#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of the published package: the CLI bundle in dist/bundle/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script; run node with --enable-source-maps for stack
// traces into src/).
//
// --max-semi-space-size=2 (MiB): V8 otherwise grows the young generation to 16-32 MiB under a
// backlog. Measured on bench/tail.ts: peak RSS 216 -> 152 MiB and less system time, at equal or
// better throughput. `node bin/log2events.js` skips the flag; the installed command applies it.
import { enableCompileCache } from 'node:module';

// V8's compiled code for the bundle is kept on disk (under the OS temp dir, or NODE_COMPILE_CACHE)
// and reused by the next start: ~50 ms less start-up. Where nothing is writable it is skipped.
enableCompileCache();
const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2));
