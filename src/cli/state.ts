import { existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { loadConfigFile } from '../agent/load-config.ts';
import { anyStoreFile, inspectFiles, integrityCheck, storeFiles, type StoreFiles } from '../store/integrity.ts';
import { StateStore, StateStoreError, STATE_FILE_NAME } from '../store/state-store.ts';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, requireConfig, UsageError, type CliIO } from './command.ts';

const USAGE = `Usage: log2events state <check|reset> -c FILE [--force]

The state store (state_dir/log2events.db) holds the spool, the sources' positions and the dead
letters. A store that is damaged (missing, empty, not a database, its write-ahead log lost,
corrupt pages) stops the agent instead of being replaced silently.

  check     checks every page and index of the store (works next to a running agent); exit 0
            when it is sound, 1 when it is damaged
  reset     moves the store's files into state_dir/damaged-TIME/ (nothing is deleted), so that
            the next start creates a new store: spooled events and dead letters stay in the moved
            files, file sources start afresh (start_at). Needs the agent stopped; refuses a sound
            store unless --force

Options:
  -c, --config FILE   the config file (required; its state_dir holds the store)
  --force             reset: move the store aside even when it is sound
  -h, --help          this help`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  force: { type: 'boolean' },
} as const;

/** Problems of the store's files and pages; undefined when there is no store at all. */
function check(files: StoreFiles): string[] | undefined {
  if (!anyStoreFile(files)) return undefined;
  const inspection = inspectFiles(files);
  if (inspection.problems.length > 0 || inspection.fresh) return inspection.problems;
  // Read-only, so that nothing is checkpointed or rewritten; SQLite creates the WAL and its
  // index to read: those it created are removed after, so that a lost WAL is still seen as lost.
  const created = [files.wal, files.shm].filter((f) => !existsSync(f));
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(files.db, { readOnly: true });
    return integrityCheck(db);
  } catch (err) {
    return [(err as Error).message];
  } finally {
    db?.close();
    if (created.includes(files.wal) && existsSync(files.wal) && statSync(files.wal).size === 0) rmQuiet(files.wal);
    if (created.includes(files.shm) && !existsSync(files.wal)) rmQuiet(files.shm);
  }
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

export async function stateCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(args, OPTIONS, USAGE, io, true);
  if (!parsed) return EXIT_OK;
  const [action, ...rest] = parsed.positionals;
  if (action !== 'check' && action !== 'reset') {
    throw new UsageError(`${action ? `unknown action "${action}"` : 'an action is required'}\n\n${USAGE}`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"\n\n${USAGE}`);
  const configFile = requireConfig(parsed.values.config, USAGE);
  const loaded = loadConfigFile(configFile);
  if (!loaded.ok) {
    io.stderr.write(loaded.errors.join('\n') + '\n');
    return EXIT_FAILURE;
  }
  const stateDir = loaded.config.state_dir;
  const files = storeFiles(stateDir, STATE_FILE_NAME);
  if (action === 'check') {
    const problems = check(files);
    if (problems === undefined) {
      io.stdout.write(`no state store in ${stateDir} yet (the first run creates ${files.db})\n`);
      return EXIT_OK;
    }
    if (problems.length === 0) {
      io.stdout.write(`${files.db}: ok\n`);
      return EXIT_OK;
    }
    io.stderr.write(`${files.db}: damaged\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    io.stderr.write(
      `"log2events state reset -c ${configFile}" moves the damaged files aside (nothing is deleted) so that the next start creates a new store\n`,
    );
    return EXIT_FAILURE;
  }
  return reset(files, stateDir, configFile, parsed.values.force === true, io);
}

function reset(files: StoreFiles, stateDir: string, configFile: string, force: boolean, io: CliIO): number {
  let lock: { release(): void };
  try {
    lock = StateStore.lockOnly(stateDir);
  } catch (err) {
    io.stderr.write(`log2events state: ${err instanceof StateStoreError ? err.message : (err as Error).message}\n`);
    return EXIT_FAILURE;
  }
  try {
    const problems = check(files);
    if (problems === undefined) {
      io.stdout.write(`no state store in ${stateDir}: nothing to reset\n`);
      return EXIT_OK;
    }
    if (problems.length === 0 && !force) {
      io.stderr.write(`log2events state: ${files.db} is sound; "log2events state reset -c ${configFile} --force" moves it aside anyway\n`);
      return EXIT_FAILURE;
    }
    const aside = join(
      stateDir,
      `damaged-${new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}`,
    );
    mkdirSync(aside, { recursive: true });
    const moved: string[] = [];
    for (const f of [files.db, files.wal, files.shm, files.manifest]) {
      if (!existsSync(f)) continue;
      renameSync(f, join(aside, basename(f)));
      moved.push(basename(f));
    }
    io.stdout.write(`moved ${moved.join(', ')} to ${aside}; the next start creates a new store\n`);
    return EXIT_OK;
  } finally {
    lock.release();
  }
}
