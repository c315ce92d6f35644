/**
 * The state store's schema, as an ordered list of migrations. `PRAGMA user_version` records how
 * many have been applied; a store written by a newer build (more migrations than we know) is
 * refused rather than guessed at.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: spool (one row per event, one entry per event and sink), checkpoints, dead letters.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    body TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_row INTEGER NOT NULL,
    sink TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_attempt INTEGER,
    last_attempt INTEGER,
    last_code TEXT,
    last_message TEXT
  ) STRICT;
  CREATE INDEX entries_by_sink ON entries (sink, seq);
  CREATE INDEX entries_by_event ON entries (event_row);
  CREATE TABLE checkpoints (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (source, key)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    body TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_attempt INTEGER,
    last_attempt INTEGER,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX dead_letters_by_sink ON dead_letters (sink, code);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
