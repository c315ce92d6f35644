// Installs the system tools some tests drive for real (logrotate, openssl, and systemd-analyze
// for the .deb's unit) when they are missing and this is a Debian-like machine where we may run
// apt-get (CI runs as root).
// Without them, those tests skip with a message; nothing else depends on this script.
import { execFileSync, spawnSync } from 'node:child_process';

const wanted = { logrotate: 'logrotate', openssl: 'openssl', 'systemd-analyze': 'systemd' };
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = Object.entries(wanted)
  .filter(([cmd]) => !has(cmd))
  .map(([, pkg]) => pkg);

if (missing.length === 0) process.exit(0);
const root = process.getuid?.() === 0;
if (!root || !has('apt-get')) {
  console.warn(`test tools missing (${missing.join(', ')}): the tests that need them will be skipped`);
  process.exit(0);
}
try {
  console.log(`installing test tools: ${missing.join(', ')}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
} catch (err) {
  console.warn(`could not install ${missing.join(', ')} (${err.message}); the tests that need them will be skipped`);
}
