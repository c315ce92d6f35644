import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

/**
 * How a damaged store is told from a new one. SQLite itself creates a missing or empty file as
 * a new database, so the store keeps a small manifest next to it, written once the database
 * exists: where a manifest is, a store is expected. It also records whether the write-ahead
 * log is live (an agent has the store open, or crashed with it open): a live WAL that is gone
 * held the last commits, and a store without them must not pass for whole.
 */
export const MANIFEST_FILE_NAME = 'log2events.manifest.json';
/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/**
 * Stores up to this size (database plus WAL) get a full `PRAGMA quick_check` at start (about
 * 0.1-0.3 s for 64 MiB here); larger ones a check of the tables whose loss is silent
 * (checkpoints, dead letters, meta), so that a start stays fast whatever the spool's size.
 */
export const FULL_CHECK_MAX_BYTES = 64 << 20;
/** Problems reported by a check, at most. */
const MAX_PROBLEMS = 10;

export interface Manifest {
  created_at: string;
  /** `live`: the store is (or was, until a crash) open, its WAL holding commits. */
  wal: 'live' | 'closed';
}

export interface StoreFiles {
  db: string;
  wal: string;
  shm: string;
  manifest: string;
}

export function storeFiles(stateDir: string, dbName: string): StoreFiles {
  const db = join(stateDir, dbName);
  return { db, wal: `${db}-wal`, shm: `${db}-shm`, manifest: join(stateDir, MANIFEST_FILE_NAME) };
}

/** The manifest, `undefined` when there is none, `'unreadable'` when it cannot be parsed. */
export function readManifest(file: string): Manifest | undefined | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'unreadable';
  }
  try {
    const raw = JSON.parse(text) as Partial<Manifest>;
    if (typeof raw.created_at !== 'string' || (raw.wal !== 'live' && raw.wal !== 'closed')) return 'unreadable';
    return { created_at: raw.created_at, wal: raw.wal };
  } catch {
    return 'unreadable';
  }
}

/** The manifest's size on disk: every version is padded to it, so that it is rewritten in place. */
const MANIFEST_BYTES = 128;

/**
 * Writes the manifest. A new one goes through a temporary file and a rename; an existing one is
 * overwritten in place, one block of the same size (a write that needs no new space, so that
 * the agent can still say it closed the store on a full disk; one sector is written whole).
 */
export function writeManifest(file: string, manifest: Manifest): void {
  const bytes = Buffer.alloc(MANIFEST_BYTES, 0x20);
  bytes.write(JSON.stringify(manifest));
  bytes[MANIFEST_BYTES - 1] = 0x0a;
  const exists = existsSync(file);
  const target = exists ? file : `${file}.tmp`;
  const fd = openSync(target, exists ? 'r+' : 'w');
  try {
    writeSync(fd, bytes, 0, bytes.length, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (!exists) renameSync(target, file);
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

function hasSqliteHeader(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, buf, 0, buf.length, 0) === buf.length && buf.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** What the files say before SQLite opens them. */
export interface FileInspection {
  /** No database and no sign that one existed: a new store may be created. */
  fresh: boolean;
  /** Reasons the store is damaged (empty when it is not). */
  problems: string[];
  manifest: Manifest | undefined;
}

/**
 * Looks at the store's files without opening them as a database: a store that is expected (a
 * manifest, or a WAL with content) but whose database file is missing, empty or not a SQLite
 * file, or whose live WAL is gone, is damaged. Without a manifest (a store of an older build,
 * or a first start that died before writing it) an empty or missing database is new.
 */
export function inspectFiles(files: StoreFiles): FileInspection {
  const m = readManifest(files.manifest);
  const manifest = m === 'unreadable' ? undefined : m;
  const problems: string[] = [];
  const dbSize = sizeOf(files.db);
  const walSize = sizeOf(files.wal);
  const expected = m !== undefined || (walSize ?? 0) > 0;
  const since = manifest ? ` (the store was created ${manifest.created_at})` : '';
  if (m === 'unreadable') problems.push(`${files.manifest} is unreadable`);
  if (dbSize === undefined) {
    if (expected) problems.push(`${files.db} is missing${since}`);
    return { fresh: !expected, problems, manifest };
  }
  if (dbSize === 0) {
    if (expected) problems.push(`${files.db} is empty (0 bytes)${since}`);
    else return { fresh: true, problems, manifest };
  } else if (!hasSqliteHeader(files.db)) {
    problems.push(`${files.db} has no SQLite header: it is not a log2events state store`);
  } else if (manifest?.wal === 'live' && walSize === undefined) {
    problems.push(`the write-ahead log ${files.wal} is missing while the store was open: its last commits are lost`);
  }
  return { fresh: false, problems, manifest };
}

/**
 * Runs SQLite's structural check: the whole file when it is at most `fullMaxBytes`, else the
 * tables whose damage would go unnoticed. Answers the problems found (none: `[]`).
 */
export function quickCheck(db: DatabaseSync, files: StoreFiles, fullMaxBytes = FULL_CHECK_MAX_BYTES): string[] {
  const bytes = (sizeOf(files.db) ?? 0) + (sizeOf(files.wal) ?? 0);
  const targets = bytes <= fullMaxBytes ? [''] : ['meta', 'checkpoints', 'dead_letters'];
  const problems: string[] = [];
  for (const table of targets) {
    const arg = table ? `'${table}'` : String(MAX_PROBLEMS);
    const rows = db.prepare(`PRAGMA quick_check(${arg})`).all() as { quick_check: string }[];
    for (const r of rows) if (r.quick_check !== 'ok') problems.push(...problemLines(r.quick_check));
  }
  return problems.slice(0, MAX_PROBLEMS);
}

/** Full check for `log2events state check`: every page and index entry. */
export function integrityCheck(db: DatabaseSync): string[] {
  const rows = db.prepare(`PRAGMA integrity_check(${MAX_PROBLEMS})`).all() as { integrity_check: string }[];
  return rows
    .filter((r) => r.integrity_check !== 'ok')
    .flatMap((r) => problemLines(r.integrity_check))
    .slice(0, MAX_PROBLEMS);
}

/** SQLite puts several problems in one row, a line each, under a heading. */
function problemLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('*** in database'));
}

/** The first problem, and how many more there are: for a one-line error. */
export function summarize(problems: readonly string[]): string {
  return problems.length > 1 ? `${problems[0]} (and ${problems.length - 1} more problem(s))` : (problems[0] ?? '');
}

/** Whether any of the store's files exist. */
export function anyStoreFile(files: StoreFiles): boolean {
  return [files.db, files.wal, files.shm, files.manifest].some((f) => existsSync(f));
}
