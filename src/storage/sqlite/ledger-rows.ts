/**
 * @module storage/sqlite/ledger-rows
 * How SQLite stores the ledger columns (storage/ledger-columns): SQLite has no booleans or JSON,
 * so `stream`, `usage_estimated` and `cache_hit` are 0/1 and the tags are JSON text; everything
 * else is stored as is. A record is packed once, when it is appended, into one flat array of
 * primitives: that array is the queue's copy of the record (nothing the caller changes later
 * reaches it) and already the values the INSERTs bind. A batch travels to the writer thread as
 * three flat arrays of primitives: posting them costs about half what posting two or three small
 * arrays per record did (measured: 0.7 against 1.4 µs per record).
 */

import {
  ATTEMPT_COLUMNS,
  type AttemptColumns,
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

/**
 * One record as the queue keeps it: its `ledger` row's values in column order, then the values
 * of each of its `ledger_attempts` rows.
 */
export type PackedRecord = SqlValue[];

/** A batch as the writer inserts it. */
export interface RowBatch {
  /** `LEDGER_WIDTH` values per record, record after record. */
  ledger: SqlValue[];
  /** `ATTEMPT_WIDTH` values per attempt: the attempts of every record, in record order. */
  attempts: SqlValue[];
  /** How many attempts each record has. */
  attemptCounts: number[];
}

export const LEDGER_WIDTH = LEDGER_COLUMNS.length;
export const ATTEMPT_WIDTH = ATTEMPT_COLUMNS.length;

/** The INSERT statements of one size: `rows` ledger rows, or as many attempt rows, at once. */
export interface MultiRowInsert {
  rows: number;
  ledger: string;
  attempts: string;
}

const values = (width: number): string => `(${Array.from({ length: width }, () => '?').join(', ')})`;
const insertSql = (table: string, columns: readonly string[], rows: number): string =>
  `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => values(columns.length)).join(', ')}`;

/**
 * Largest first: a batch goes in as many 32-row statements as fit, then one of each smaller size
 * its remainder needs. A statement per row cost the writer thread about 22 µs of CPU per record,
 * 32-row statements about 14 (measured); 32 ledger rows bind 960 values, far below SQLite's
 * limit of 32,766.
 */
export const MULTI_ROW_INSERTS: readonly MultiRowInsert[] = [32, 16, 8, 4, 2, 1].map((rows) => ({
  rows,
  ledger: insertSql('ledger', LEDGER_COLUMNS, rows),
  attempts: insertSql('ledger_attempts', ATTEMPT_COLUMNS, rows),
}));
/** The request ids of the rows whose rowid is in (?, ?]: those one INSERT statement added. */
export const INSERTED_BETWEEN_SQL = 'SELECT request_id FROM ledger WHERE rowid > ? AND rowid <= ?';
export const UPDATE_FEEDBACK_SQL =
  'UPDATE ledger SET feedback_rating = ?, feedback_comment = ? WHERE request_id = ?';

/**
 * The record's rows, packed: the same values as `columnsFromRecord` and `columnsFromAttempt`,
 * encoded for SQLite, read straight off the record (on the request path: no intermediate row
 * objects). ledger-rows.test.ts holds the two to the same order.
 */
export function packRecord(r: LedgerRecord): PackedRecord {
  // Sized once and filled in place: grown by push, the arrays cost twice the garbage collection.
  const packed: PackedRecord = new Array(LEDGER_WIDTH + ATTEMPT_WIDTH * r.attempts.length);
  let at = 0;
  packed[at++] = r.requestId;
  packed[at++] = r.timestamp;
  packed[at++] = r.endpoint;
  packed[at++] = r.keyId ?? null;
  packed[at++] = r.project ?? null;
  packed[at++] = r.user ?? null;
  packed[at++] = r.tags === undefined ? null : JSON.stringify(r.tags);
  packed[at++] = r.route ?? null;
  packed[at++] = r.strategy;
  packed[at++] = r.model ?? null;
  packed[at++] = r.provider ?? null;
  packed[at++] = r.deployment ?? null;
  packed[at++] = r.status;
  packed[at++] = r.errorCode ?? null;
  packed[at++] = r.httpStatus;
  packed[at++] = r.stream ? 1 : 0;
  packed[at++] = r.inputTokens;
  packed[at++] = r.outputTokens;
  packed[at++] = r.cachedInputTokens;
  packed[at++] = r.cacheWriteTokens;
  packed[at++] = r.reasoningTokens;
  packed[at++] = r.usageEstimated ? 1 : 0;
  packed[at++] = r.costNanos;
  packed[at++] = r.latencyMs;
  packed[at++] = r.ttftMs ?? null;
  packed[at++] = r.cacheHit ? 1 : 0;
  packed[at++] = r.confidence ?? null;
  packed[at++] = r.routeTrace ?? null;
  packed[at++] = r.feedback?.rating ?? null;
  packed[at++] = r.feedback?.comment ?? null;
  for (const a of r.attempts) {
    packed[at++] = r.requestId;
    packed[at++] = a.attempt;
    packed[at++] = a.model;
    packed[at++] = a.provider;
    packed[at++] = a.deployment;
    packed[at++] = a.status;
    packed[at++] = a.errorCode ?? null;
    packed[at++] = a.httpStatus ?? null;
    packed[at++] = a.latencyMs;
    packed[at++] = a.inputTokens;
    packed[at++] = a.outputTokens;
    packed[at++] = a.costNanos;
  }
  return packed;
}

/** The record a packed record holds, decoded as a row read from the table would be. */
export function unpackRecord(packed: PackedRecord): LedgerRecord {
  const attempts: AttemptRow[] = [];
  for (let at = LEDGER_WIDTH; at < packed.length; at += ATTEMPT_WIDTH)
    attempts.push(rowAt<AttemptRow>(ATTEMPT_COLUMNS, packed, at));
  return toRecord(rowAt<LedgerRow>(LEDGER_COLUMNS, packed, 0), attempts);
}

/** The row object better-sqlite3 would return for the values of `columns` from `at` on. */
function rowAt<Row>(columns: readonly string[], packed: PackedRecord, at: number): Row {
  const row: Record<string, SqlValue | undefined> = {};
  columns.forEach((column, i) => {
    row[column] = packed[at + i];
  });
  // packRecord wrote these values from a typed record, column for column.
  return row as unknown as Row;
}

/** Packed records laid out as one batch. */
export function toRowBatch(records: readonly PackedRecord[]): RowBatch {
  let attemptValues = 0;
  for (const packed of records) attemptValues += packed.length - LEDGER_WIDTH;
  const batch: RowBatch = {
    ledger: nulls(records.length * LEDGER_WIDTH),
    attempts: nulls(attemptValues),
    attemptCounts: [],
  };
  let ledgerAt = 0;
  let attemptAt = 0;
  for (const packed of records) {
    for (let i = 0; i < LEDGER_WIDTH; i++) batch.ledger[ledgerAt++] = packed[i] as SqlValue;
    for (let i = LEDGER_WIDTH; i < packed.length; i++) batch.attempts[attemptAt++] = packed[i] as SqlValue;
    batch.attemptCounts.push((packed.length - LEDGER_WIDTH) / ATTEMPT_WIDTH);
  }
  return batch;
}

/** Grown by push only, so that V8 keeps it a packed array: copies of it are packed too. */
const NULLS: SqlValue[] = [];

/**
 * `length` nulls, to overwrite in place: a batch sized up front skips the reallocations of
 * growing by push (half of toRowBatch's cost on the event loop, measured). Copied from a packed
 * array rather than made with `new Array(length)`, which V8 marks as having holes: the writer
 * thread is posted a holey array element by element, at four times the cost.
 */
function nulls(length: number): SqlValue[] {
  while (NULLS.length < length) NULLS.push(null);
  return NULLS.slice(0, length);
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
