import type { SQLOutputValue } from 'node:sqlite';

/**
 * node:sqlite gives every row as `Record<string, SQLOutputValue>`. The store's statements name
 * their columns (`AS`), and these read a row into the type the SQL promises, value by value,
 * instead of asserting the whole row's shape.
 */
export type Row = Record<string, SQLOutputValue>;

/** An INTEGER column (an int64 beyond 2^53 arrives as bigint). */
export function int(row: Row, column: string): number {
  const v = row[column];
  return typeof v === 'number' ? v : Number(v);
}

export function intOrNull(row: Row, column: string): number | null {
  return row[column] == null ? null : int(row, column);
}

/** A TEXT column. */
export function text(row: Row, column: string): string {
  const v = row[column];
  return typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v ?? '');
}
