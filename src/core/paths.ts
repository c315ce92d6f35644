import { isAbsolute, resolve } from 'node:path';

/**
 * Relative paths in a config file (state_dir, file globs, sink paths, TLS files, ${file:...})
 * are relative to the directory of the config file, not to wherever the agent was started, so
 * the same config behaves the same from systemd, a container or a shell.
 */
export function resolveConfigPath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Globs: a pattern that starts with `**` matches anywhere and stays as it is. */
export function resolveConfigGlob(baseDir: string, pattern: string): string {
  return pattern.startsWith('**') ? pattern : resolveConfigPath(baseDir, pattern);
}
