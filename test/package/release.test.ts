import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli, runOnceProfile, scratchDir } from '../helpers/cli.ts';

/**
 * `npm run package` (scripts/package.js), built once here into a scratch directory: the
 * standalone executable runs with no node on the host, picks its runtime profile as the npm
 * command does, and the .deb installs it (into a scratch root) with a unit that systemd
 * accepts and rates "OK". The figures it prints are the ones the README quotes.
 */
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
if (!linuxX64)
  console.warn(`release tests skipped: the executable is built for linux-x64 only (this is ${process.platform}-${process.arch})`);
const canDeb = linuxX64 && has('dpkg-deb') && has('dpkg');
if (linuxX64 && !canDeb) console.warn('.deb tests skipped: dpkg-deb/dpkg missing (not a Debian-like machine)');
const canAnalyze = canDeb && has('systemd-analyze');
if (canDeb && !canAnalyze)
  console.warn(
    'systemd unit tests skipped: systemd-analyze missing (scripts/ensure-test-tools.js installs the systemd package where it may)',
  );

/** No node anywhere: the executable must bring its own. */
const NO_NODE = { PATH: '/nonexistent' };

describe.skipIf(!linuxX64)('the release artifacts (npm run package)', () => {
  const s = scratchDir('l2e-release-');
  const out = join(s.dir, 'release');
  let exe = '';
  let deb = '';

  beforeAll(() => {
    const t0 = Date.now();
    const printed = execFileSync(
      process.execPath,
      [join(REPO, 'scripts/package.js'), '--out', out, ...(canDeb ? ['--fast'] : ['--exe-only'])],
      { encoding: 'utf8' },
    );
    exe = join(out, 'log2events');
    deb = join(out, `log2events_${pkg.version}_amd64.deb`);
    console.log(`package.js built in ${((Date.now() - t0) / 1000).toFixed(1)} s:\n${printed}executable: ${statSync(exe).size} bytes`);
  }, 240_000);
  afterAll(() => s.cleanup());

  it('writes a checksum file that sha256sum -c accepts', () => {
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    expect(sums).toMatch(/^[0-9a-f]{64} {2}log2events\n/);
    const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('log2events: OK');
  });

  it('runs version, validate and test with no node on the host', async () => {
    const v = await runCli(['version'], { command: [exe], env: NO_NODE });
    expect(v).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const val = await runCli(['validate', '-c', 'config.example.yaml'], { command: [exe], env: NO_NODE });
    expect(val.code, val.stderr).toBe(0);
    expect(val.stdout).toMatch(/config\.example\.yaml: ok/);
    const t = await runCli(['test', '-c', 'config.example.yaml'], { command: [exe], env: NO_NODE });
    expect(t.code, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toMatch(/5 passed, 0 failed/);
    const bad = await runCli(['validate', '-c', 'missing.yaml'], { command: [exe], env: NO_NODE });
    expect(bad.code).toBe(1);
    expect(bad.stderr + bad.stdout).not.toMatch(/\n\s+at /); // one line, no stack trace
  });

  it('runs the example against the emulator (--once) and delivers every event', async () => {
    const dir = join(s.dir, 'example');
    mkdirSync(dir);
    cpSync(join(REPO, 'config.example.yaml'), join(dir, 'config.example.yaml'));
    cpSync(join(REPO, 'examples/logs'), join(dir, 'examples/logs'), { recursive: true });
    const r = await runCli(['run', '-c', 'config.example.yaml', '--emulator', '--once'], {
      cwd: dir,
      command: [exe],
      env: { ...NO_NODE, ADMIN_LISTEN: '127.0.0.1:0', OTLP_HTTP_LISTEN: '127.0.0.1:0', OTLP_GRPC_LISTEN: '127.0.0.1:0' },
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, '.log2events-example/events.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    const summary = JSON.parse(r.stderr.split('\n').find((l) => l.includes('"emulator summary"'))!).stats as Record<
      string,
      { accepted: number }
    >;
    expect({
      aws: summary.aws!.accepted,
      ces: summary.ces!.accepted,
      aom: summary.aom!.accepted,
      alibaba: summary.alibaba!.accepted,
    }).toEqual({ aws: 4, ces: 2, aom: 2, alibaba: 2 });
  });

  it.each([
    ['a file-only config: the lean profile, by replacing itself (same PID)', 'file', {}, 'lean'],
    ['an OTLP config: V8 defaults, as started', 'otlp', {}, 'throughput'],
    ['LOG2EVENTS_RUNTIME=throughput on a file-only config', 'file', { LOG2EVENTS_RUNTIME: 'throughput' }, 'throughput'],
  ])('picks the runtime profile as the npm command does: %s', async (_name, kind, env, profile) => {
    const dir = join(s.dir, `profile-${kind}-${profile}`);
    mkdirSync(dir);
    const r = await runOnceProfile(exe, dir, kind as 'file' | 'otlp', { ...NO_NODE, ...env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.started).toMatchObject({ runtime: profile, pid: r.childPid });
  });

  describe.skipIf(!canDeb)('the .deb', () => {
    const root = join(s.dir, 'root');
    let installed: { status: number | null; output: string } = { status: null, output: '' };
    // Installed once for the tests below (each can run alone).
    beforeAll(() => {
      mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
      mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
      writeFileSync(join(root, 'var/lib/dpkg/status'), '');
      // The scratch root has no libc6 package to satisfy Depends, and no shell to chroot into:
      // the maintainer scripts run outside it (they only act on a running systemd, under DPKG_ROOT none).
      const r = spawnSync('dpkg', [`--root=${root}`, '--force-depends', '--force-script-chrootless', '--log=/dev/null', '-i', deb], {
        encoding: 'utf8',
      });
      installed = { status: r.status, output: r.stdout + r.stderr };
    });

    it('declares the package, its dependencies, the conffile and the maintainer scripts', () => {
      const info = execFileSync('dpkg-deb', ['--info', deb], { encoding: 'utf8' });
      expect(info).toMatch(new RegExp(`Package: log2events\\n Version: ${pkg.version.replace(/\./g, '\\.')}\\n Architecture: amd64`));
      expect(info).toMatch(/Depends: libc6 \(>= 2\.28\), libstdc\+\+6.*, procps\n/);
      for (const f of ['conffiles', 'postinst', 'prerm', 'postrm']) expect(info).toContain(` ${f} `);
      expect(execFileSync('dpkg-deb', ['--field', deb, 'Description'], { encoding: 'utf8' })).not.toMatch(/issue|stop \d/i);
      const contents = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8' });
      expect(contents).toMatch(/-rwxr-xr-x root\/root +\d+ .* \.\/usr\/bin\/log2events\n/);
      expect(contents).toMatch(/-rw-r--r-- root\/root .* \.\/usr\/lib\/systemd\/system\/log2events\.service\n/);
      expect(contents).toMatch(/-rw-r--r-- root\/root .* \.\/etc\/log2events\/config\.yaml\n/);
      expect(contents).toMatch(/\.\/usr\/share\/doc\/log2events\/copyright\n/);
    });

    it('installs into a scratch root (dpkg --root): the executable runs there, the config is a conffile that passes validate and test', async () => {
      expect(installed.status, installed.output).toBe(0);
      const status = execFileSync('dpkg', [`--root=${root}`, '-s', 'log2events'], { encoding: 'utf8' });
      expect(status).toMatch(/Status: install ok installed/);
      expect(status).toMatch(/Conffiles:\n \/etc\/log2events\/config\.yaml [0-9a-f]{32}/);

      const bin = join(root, 'usr/bin/log2events');
      const config = join(root, 'etc/log2events/config.yaml');
      expect((await runCli(['version'], { command: [bin], env: NO_NODE })).stdout).toBe(`${pkg.version}\n`);
      const v = await runCli(['validate', '-c', config], { command: [bin], env: NO_NODE });
      expect(v.code, v.stdout + v.stderr).toBe(0);
      const t = await runCli(['test', '-c', config], { command: [bin], env: NO_NODE });
      expect(t.code, t.stdout + t.stderr).toBe(0);
      const text = readFileSync(config, 'utf8');
      expect(text).toMatch(/^state_dir: \/var\/lib\/log2events\b/m);
    });

    describe.skipIf(!canAnalyze)('its systemd unit', () => {
      const unit = () => readFileSync(join(root, 'usr/lib/systemd/system/log2events.service'), 'utf8');

      it('matches the config: state in StateDirectory, read access to /var/log, a stop timeout above shutdown_timeout, reload by SIGHUP', () => {
        expect(unit()).toMatch(/^ExecStart=\/usr\/bin\/log2events run -c \/etc\/log2events\/config\.yaml$/m);
        expect(unit()).toMatch(/^StateDirectory=log2events$/m);
        expect(unit()).toMatch(/^DynamicUser=yes$/m);
        expect(unit()).toMatch(/^SupplementaryGroups=adm$/m);
        expect(unit()).toMatch(/^ReadOnlyPaths=\/var\/log$/m);
        expect(Number(/^TimeoutStopSec=(\d+)$/m.exec(unit())?.[1])).toBeGreaterThan(25);
        // SIGHUP re-reads the config (an invalid one is reported and the running one stays).
        expect(unit()).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
      });

      it('passes systemd-analyze verify, installed', () => {
        // The units it depends on (sysinit.target, network-online.target, ...) from the host.
        for (const f of readdirSync('/usr/lib/systemd/system').filter((n) => n.endsWith('.target'))) {
          copyFileSync(join('/usr/lib/systemd/system', f), join(root, 'usr/lib/systemd/system', f));
        }
        // ExecReload's /bin/kill comes with procps (a dependency of the package), not in the scratch root.
        mkdirSync(join(root, 'bin'), { recursive: true });
        copyFileSync('/bin/kill', join(root, 'bin/kill'));
        const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'log2events.service'], { encoding: 'utf8' });
        console.log(
          `systemd-analyze verify --root=SCRATCH log2events.service: exit ${r.status}${r.stdout + r.stderr ? `\n${r.stdout}${r.stderr}` : ', nothing printed'}`,
        );
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).toBe('');
      });

      it('is rated OK (2.x or better) by systemd-analyze security', () => {
        const r = spawnSync('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, 'log2events.service'], { encoding: 'utf8' });
        const overall = /Overall exposure level for log2events\.service: (\d+\.\d+) (\w+)/.exec(r.stdout);
        console.log(`systemd-analyze security --offline=yes: ${overall?.[0] ?? r.stdout + r.stderr}`);
        console.log(
          r.stdout
            .split('\n')
            .filter((l) => l.startsWith('✗'))
            .join('\n'),
        );
        expect(overall?.[2]).toBe('OK');
        expect(Number(overall?.[1])).toBeLessThan(3);
        // the figure the README quotes
        expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toContain(`rates it\n**${overall?.[1]} OK**`);
      });
    });
  });
});
