import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Agent } from '../agent/agent.ts';
import type { ConfigDiff, NamedChanges } from '../agent/config-diff.ts';
import { loadConfigFile } from '../agent/load-config.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * Re-reads the config file and applies it to the running agent. An invalid file is reported in
 * full, one line per problem as `validate` prints them, and the running config stays. One line
 * says what the reload changed (or why it changed nothing).
 */
export async function reloadFromFile(agent: Agent, file: string, trigger: string, logger: Logger): Promise<boolean> {
  const loaded = loadConfigFile(file);
  if (!loaded.ok) {
    for (const problem of loaded.errors) logger.error(problem, { reload: trigger });
    logger.error('config reload refused: the file has problems (listed above); the running config stays', {
      reload: trigger,
      problems: loaded.errors.length,
    });
    return false;
  }
  const result = await agent.reload(loaded.config);
  if (!result.ok) {
    logger.error(`config reload refused: ${result.error}`, { reload: trigger });
    return false;
  }
  const { diff, failedSources } = result;
  const changes = describe(diff);
  logger.info(changes.length > 0 ? 'config reloaded' : 'config reloaded: nothing changed', {
    reload: trigger,
    ...Object.fromEntries(changes),
    ...(diff.atRestart.length > 0 ? { needs_restart: diff.atRestart } : {}),
    ...(failedSources.length > 0 ? { sources_not_started: failedSources } : {}),
  });
  return true;
}

function describe(d: ConfigDiff): [string, unknown][] {
  const out: [string, unknown][] = [];
  const add = (key: string, n: NamedChanges) => {
    const parts: Record<string, string[]> = {};
    if (n.added.length) parts.added = n.added;
    if (n.removed.length) parts.removed = n.removed;
    if (n.changed.length) parts.changed = n.changed;
    if (Object.keys(parts).length > 0) out.push([key, parts]);
  };
  add('rules', d.rules);
  add('sources', d.sources);
  add('sinks', d.sinks);
  if (d.delivery) out.push(['delivery', 'changed']);
  return out;
}

/** How long a burst of file events (an editor's write, rename, chmod) is gathered into one reload. */
const SETTLE_MS = 300;

/**
 * Calls `onChange` when the config file changes. Watches the directory, not the file: editors
 * and config management replace the file (a new inode), which a watch on the file would miss.
 */
export function watchConfig(file: string, onChange: () => void, logger: Logger): { close(): void } {
  const path = resolve(file);
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, SETTLE_MS);
    });
  } catch (err) {
    logger.error('--watch-config: cannot watch the config file; SIGHUP still reloads', { file: path, error: err as Error });
    return { close() {} };
  }
  watcher.on('error', (err) =>
    logger.error('--watch-config: watching the config file failed; SIGHUP still reloads', { file: path, error: err }),
  );
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
