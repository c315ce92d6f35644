#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of the published package: the CLI bundle in dist/bundle/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script; run node with --enable-source-maps for stack
// traces into src/).
//
// --max-semi-space-size=2 (MiB): V8 otherwise grows the young generation to 16-32 MiB under a
// backlog. Measured on bench/tail.ts: peak RSS 216 -> 152 MiB and less system time, at equal or
// better throughput. `node bin/log2events.js` skips the flag; the installed command applies it.
const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2));
