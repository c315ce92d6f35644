import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Events the `file` sink wrote (JSON lines; a run appends). A run killed mid-write leaves a torn
 * line, which the next run ends before writing (so a torn fragment stands alone, or, from
 * builds before that repair, is continued by a complete event). A line still being written
 * while the test reads is incomplete too. Such fragments are skipped: the torn event was never
 * acknowledged, so it is delivered again, whole.
 */
export function sinkEvents(
  path: string,
): { id: string; content: string; resource: Record<string, string>; attributes: Record<string, string> }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      for (const text of [l, l.slice(Math.max(0, l.lastIndexOf('{"id":')))]) {
        try {
          return [JSON.parse(text)];
        } catch {
          // a fragment: try the complete event after it, else skip it
        }
      }
      return [];
    });
}

export async function until<T>(get: () => T, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The real logrotate (Debian package): installed with apt when missing and apt is there.
 * Answers the binary path, or why it is unavailable (the test then skips with that message).
 */
export function ensureLogrotate(): { path: string } | { missing: string } {
  const which = () =>
    spawnSync('sh', ['-c', 'command -v logrotate || ls /usr/sbin/logrotate 2>/dev/null'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')[0];
  let found = which();
  if (found) return { path: found };
  if (!spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).stdout.trim())
    return { missing: 'logrotate is not installed and apt-get is unavailable' };
  try {
    execFileSync('apt-get', ['install', '-y', 'logrotate'], { stdio: 'ignore', timeout: 120_000 });
  } catch {
    try {
      execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 120_000 });
      execFileSync('apt-get', ['install', '-y', 'logrotate'], { stdio: 'ignore', timeout: 120_000 });
    } catch (err) {
      return { missing: `logrotate could not be installed with apt-get: ${(err as Error).message}` };
    }
  }
  found = which();
  return found ? { path: found } : { missing: 'apt-get install logrotate did not provide the binary' };
}
