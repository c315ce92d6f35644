// Builds the release artifacts for linux-x64 into dist/release/ (git-ignored), offline:
//
//   log2events                     the standalone executable: node's single-executable
//                                  application, the whole CLI (with its dependencies) built in
//   log2events_VERSION_amd64.deb   that executable, a systemd unit and a default config
//   SHA256SUMS                     sha256sum -c SHA256SUMS checks both
//
//   npm run package                (runs on the project's Node.js 24)
//   node scripts/package.js [--out DIR] [--fast] [--exe-only]
//
// --fast compresses the .deb with gzip -1 instead of xz (the tests build it this way);
// --exe-only builds the executable alone (the container image's build does).
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { zodEnglishOnly } from './zod-english-only.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, fast: { type: 'boolean' }, 'exe-only': { type: 'boolean' } } });
const out = resolve(values.out ?? join(root, 'dist/release'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function fail(message) {
  process.stderr.write(`package: ${message}\n`);
  process.exit(1);
}
if (process.platform !== 'linux' || process.arch !== 'x64') fail(`builds for linux-x64 only (this is ${process.platform}-${process.arch})`);
// The executable is this very node binary with the application added: it must be the
// project's Node.js 24 (`npm run package` runs on it), not whatever node is on the PATH.
if (Number(process.versions.node.split('.')[0]) < 24)
  fail(`needs Node.js >= 24 (this is v${process.versions.node}): run \`npm run package\``);

const work = join(out, 'work');
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const exe = await buildExecutable();
const artifacts = values['exe-only'] ? [exe] : [exe, buildDeb(exe)];
const sums = artifacts.map((f) => `${createHash('sha256').update(readFileSync(f)).digest('hex')}  ${basename(f)}\n`).join('');
writeFileSync(join(out, 'SHA256SUMS'), sums);
rmSync(work, { recursive: true, force: true });
process.stdout.write(sums);

/**
 * A single-executable application of node 24 runs one CommonJS script whose require() knows
 * only node's built-in modules: so the whole CLI, dependencies included, is bundled into one
 * file (the lazily loaded parts of the npm bundle become lazily evaluated parts of it).
 */
async function buildExecutable() {
  const script = join(work, 'log2events.cjs');
  await build({
    stdin: {
      contents: "import { start } from './src/cli/start.ts';\nvoid start();\n",
      resolveDir: root,
      sourcefile: 'sea-main.ts',
      loader: 'ts',
    },
    outfile: script,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    // src/cli/main.ts runs itself when it is the entry module; here it never is.
    define: { 'import.meta.main': 'false' },
    plugins: [zodEnglishOnly],
  });
  const blob = join(work, 'sea.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: script,
      output: blob,
      disableExperimentalSEAWarning: true,
      // V8's compiled code for the script, made at build time: the start does not parse it all.
      useCodeCache: true,
      // The executable starts with V8's defaults; start.ts replaces it with one started with the
      // lean profile's flags (`--node-options=...`, which only "cli" lets through: NODE_OPTIONS
      // refuses --max-opt) when the command wants it.
      execArgv: [],
      execArgvExtension: 'cli',
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });

  const exe = join(out, 'log2events');
  // Node's release binary keeps its symbols and debug info: stripped, ~18 MB less to ship.
  const stripped = spawnSync('strip', ['-o', exe, process.execPath], { stdio: 'ignore' }).status === 0;
  if (!stripped) copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const { inject } = createRequire(import.meta.url)('postject');
  // LIEF, inside postject, warns once per note section of node's binary it cannot name: harmless.
  const warn = console.warn;
  console.warn = (...args) => {
    if (!String(args[0]).includes("Can't find string offset for section name")) warn(...args);
  };
  try {
    await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' });
  } finally {
    console.warn = warn;
  }
  return exe;
}

/**
 * The .deb: the executable as /usr/bin/log2events, the systemd unit (DynamicUser: no account to
 * create), a default /etc/log2events/config.yaml kept as a conffile, and maintainer scripts
 * that only talk to a running systemd.
 */
function buildDeb(exe) {
  const tree = join(work, 'deb');
  const put = (from, to, mode = 0o644) => {
    const dest = join(tree, to);
    mkdirSync(join(dest, '..'), { recursive: true });
    cpSync(from, dest);
    chmodSync(dest, mode);
  };
  put(exe, 'usr/bin/log2events', 0o755);
  put(join(root, 'deploy/systemd/log2events.service'), 'usr/lib/systemd/system/log2events.service');
  put(join(root, 'deploy/debian/config.yaml'), 'etc/log2events/config.yaml');
  put(join(root, 'README.md'), 'usr/share/doc/log2events/README.md');
  writeFileSync(
    join(tree, 'usr/share/doc/log2events/copyright'),
    `log2events ${pkg.version}\nLicense: Apache-2.0\n\n${readFileSync(join(root, 'LICENSE'), 'utf8')}`,
  );
  for (const script of ['postinst', 'prerm', 'postrm']) put(join(root, 'deploy/debian', script), `DEBIAN/${script}`, 0o755);
  writeFileSync(join(tree, 'DEBIAN/conffiles'), '/etc/log2events/config.yaml\n');
  const installedKiB = Math.ceil(Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', tree], { encoding: 'utf8' }).split('\t')[0]));
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    [
      'Package: log2events',
      `Version: ${pkg.version}`,
      'Architecture: amd64',
      'Section: admin',
      'Priority: optional',
      'Maintainer: log2events maintainers <log2events@localhost>',
      // What the node binary inside links to (glibc 2.28, GLIBCXX_3.4.21 = GCC 5).
      'Depends: libc6 (>= 2.28), libstdc++6 (>= 5.2), libgcc-s1 | libgcc1, procps',
      `Installed-Size: ${installedKiB}`,
      `Description: ${pkg.description.split('(')[0].trim()}`,
      ' Tails log files and receives OpenTelemetry log records, turns the ones that matter into',
      ' events with YAML rules, and delivers them through a durable spool to AWS EventBridge,',
      ' Alibaba CloudMonitor, Huawei Cloud Eye and Huawei AOM. A standalone executable: no',
      ' Node.js needed. Runs as the systemd service log2events.service.',
      '',
    ].join('\n'),
  );
  const deb = join(out, `log2events_${pkg.version}_amd64.deb`);
  const compression = values.fast ? ['-Zgzip', '-z1'] : ['-Zxz'];
  execFileSync('dpkg-deb', ['--root-owner-group', ...compression, '--build', tree, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  return deb;
}
