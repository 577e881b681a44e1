/**
 * @module storage/sqlite/ledger-rows
 * How SQLite stores the ledger columns (storage/ledger-columns): SQLite has no booleans or JSON,
 * so `stream`, `usage_estimated` and `cache_hit` are 0/1 and the tags are JSON text; everything
 * else is stored as is. Rows travel to the writer thread as plain arrays of primitives, which is
 * what makes handing a batch over cheap.
 */

import {
  ATTEMPT_COLUMNS,
  type AttemptColumns,
  columnsFromAttempt,
  columnsFromRecord,
  LEDGER_COLUMNS,
  type LedgerColumns,
  recordFromColumns,
  tagsFrom,
} from '../ledger-columns.js';
import type { LedgerRecord } from '../ports.js';

/** A `ledger` row as better-sqlite3 returns it. */
export type LedgerRow = Omit<LedgerColumns, 'tags' | 'stream' | 'usage_estimated' | 'cache_hit'> & {
  tags: string | null;
  stream: number;
  usage_estimated: number;
  cache_hit: number;
};

export type AttemptRow = AttemptColumns;

export type SqlValue = string | number | null;
/** One record as the writer inserts it: the ledger row, then its attempt rows. */
export type RecordRows = [ledger: SqlValue[], attempts: SqlValue[][]];

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export const INSERT_LEDGER_SQL = `INSERT OR IGNORE INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES (${placeholders(LEDGER_COLUMNS.length)})`;
export const INSERT_ATTEMPT_SQL = `INSERT OR IGNORE INTO ledger_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${placeholders(ATTEMPT_COLUMNS.length)})`;
export const UPDATE_FEEDBACK_SQL =
  'UPDATE ledger SET feedback_rating = ?, feedback_comment = ? WHERE request_id = ?';

export function toRows(r: LedgerRecord): RecordRows {
  const columns = columnsFromRecord(r);
  const row: LedgerRow = {
    ...columns,
    tags: columns.tags === null ? null : JSON.stringify(columns.tags),
    stream: columns.stream ? 1 : 0,
    usage_estimated: columns.usage_estimated ? 1 : 0,
    cache_hit: columns.cache_hit ? 1 : 0,
  };
  const attempts = r.attempts.map((a): SqlValue[] => {
    const attempt = columnsFromAttempt(r.requestId, a);
    return ATTEMPT_COLUMNS.map((column) => attempt[column]);
  });
  return [LEDGER_COLUMNS.map((column) => row[column]), attempts];
}

export function toRecord(row: LedgerRow, attempts: readonly AttemptRow[]): LedgerRecord {
  return recordFromColumns(
    {
      ...row,
      tags: row.tags === null ? null : tagsFrom(JSON.parse(row.tags)),
      stream: row.stream === 1,
      usage_estimated: row.usage_estimated === 1,
      cache_hit: row.cache_hit === 1,
    },
    attempts,
  );
}
