#!/usr/bin/env -S node --max-semi-space-size=1 --max-opt=2 --no-concurrent-recompilation
// Entry point of the npm package and the container image: checks the Node.js version, then
// runs the CLI bundle in dist/bundle/ (built by `npm run build`, which `npm ci` runs through
// the `prepare` script; run node with --enable-source-maps for stack traces into src/).
//
// The shebang's flags are the lean runtime profile (src/cli/runtime-profile.ts): a 1 MiB young
// generation, Maglev as V8's top tier, compilation on the main thread. A config that receives
// OTLP wants V8's defaults instead, and V8 fixes those sizes at start: the bundle's start()
// (src/cli/start.ts) asks which profile the command wants and, if it is not the one running,
// replaces this process (execve: same PID, same stdio) with a node started with the right flags.
//
// This file must run on any Node.js: the bundle uses what only Node.js 24 has (an older one
// stops on a SyntaxError before running a line of it), so it is loaded only after the check,
// and nothing here is newer than what Node.js 12 understands.
var major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    'log2events needs Node.js >= 24; this is v' +
      process.versions.node +
      '; ' +
      'install Node.js 24 (https://nodejs.org), use the standalone executable, ' +
      'or in a checkout of the project run `npx log2events` (it brings its own Node.js 24)\n',
  );
  process.exit(1);
}
import('../dist/bundle/start.js').then(
  (m) => m.start(),
  (err) => {
    // A checkout whose bundle was never built (npm ci --ignore-scripts) or was removed.
    process.stderr.write('log2events: cannot load the CLI bundle (run `npm run build`): ' + err.message + '\n');
    process.exitCode = 1;
  },
);
