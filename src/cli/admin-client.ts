import { loadConfigFile } from '../agent/load-config.ts';
import { UsageError } from './command.ts';

/**
 * The base URL of the admin endpoint of the agent running with config FILE (or `--admin URL`).
 * A wildcard host is reached on loopback.
 */
export function adminUrl(file: string | undefined, override: string | undefined, usage: string): string {
  if (override) return override.replace(/\/+$/, '');
  if (!file) throw new UsageError(`-c, --config FILE (or --admin URL) is required\n\n${usage}`);
  const loaded = loadConfigFile(file);
  if (!loaded.ok) throw new UsageError(`${file} has problems (log2events validate -c ${file}):\n${loaded.errors.join('\n')}`);
  const listen = loaded.config.admin.listen;
  if (!listen) throw new UsageError(`${file} sets no admin.listen: the agent serves no admin endpoint to ask`);
  if (listen.port === 0)
    throw new UsageError(
      `${file} sets admin.listen to port 0 (any free port): pass the agent's admin URL with --admin (its "started" log line has it)`,
    );
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}

/** One line for an agent that cannot be reached. */
export function unreachable(url: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code === 'ECONNREFUSED' ? 'connection refused (is the agent running?)' : (cause?.message ?? (err as Error).message);
  return `cannot reach the agent's admin endpoint ${url}: ${why}`;
}
