import { execFileSync } from 'node:child_process';

/** Whether the openssl command is there (tests that make certificates skip without it). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
