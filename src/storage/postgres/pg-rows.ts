/**
 * @module storage/postgres/pg-rows
 * How PostgreSQL stores the ledger columns (storage/ledger-columns), and the one statement that
 * writes a batch. A batch travels as one array per column and is expanded by `unnest`, so the
 * statement has a fixed 42 parameters whatever the batch size (a VALUES list would hit the
 * 65,535-parameter limit at a few thousand records, and would be a different statement for every
 * batch size). The ledger rows are inserted `ON CONFLICT DO NOTHING`; the attempts are inserted
 * only for the ledger rows that statement actually created, so that a duplicate request id — a
 * replayed batch, or the same request from another replica — adds nothing at all, not even stray
 * attempts.
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

/** A `ledger` row as node-postgres returns it (BIGINT parsed to number, JSONB parsed). */
export type PgLedgerRow = Omit<LedgerColumns, 'tags'> & { tags: unknown };

export type PgAttemptRow = AttemptColumns;

type PgArrayType = 'int4' | 'int8' | 'float8' | 'bool';

/**
 * The array type each column travels as, in both tables; every other column is `text`. That
 * includes the tags, sent as JSON text and cast in SQL: node-postgres would otherwise write a JS
 * array as a PG array.
 */
const ARRAY_TYPES: Partial<Record<keyof LedgerColumns | keyof AttemptColumns, PgArrayType>> = {
  timestamp: 'int8',
  attempt: 'int4',
  http_status: 'int4',
  stream: 'bool',
  usage_estimated: 'bool',
  cache_hit: 'bool',
  input_tokens: 'int8',
  output_tokens: 'int8',
  cached_input_tokens: 'int8',
  cache_write_tokens: 'int8',
  reasoning_tokens: 'int8',
  cost_nanos: 'int8',
  latency_ms: 'float8',
  ttft_ms: 'float8',
  confidence: 'float8',
  feedback_rating: 'float8',
};

/** The batch insert, for tables in the (already quoted) schema. */
export function insertBatchSql(quotedSchema: string): string {
  const names = (columns: readonly string[]) => columns.join(', ');
  const arrays = (columns: readonly (keyof typeof ARRAY_TYPES)[], first: number) =>
    columns.map((name, i) => `$${first + i}::${ARRAY_TYPES[name] ?? 'text'}[]`).join(', ');
  const ledgerSelect = LEDGER_COLUMNS.map((name) => (name === 'tags' ? 'tags::jsonb' : name)).join(', ');
  return (
    `WITH inserted AS (INSERT INTO ${quotedSchema}.ledger (${names(LEDGER_COLUMNS)}) ` +
    `SELECT ${ledgerSelect} FROM unnest(${arrays(LEDGER_COLUMNS, 1)}) AS r(${names(LEDGER_COLUMNS)}) ` +
    'ON CONFLICT (request_id) DO NOTHING RETURNING request_id) ' +
    `INSERT INTO ${quotedSchema}.ledger_attempts (${names(ATTEMPT_COLUMNS)}) ` +
    `SELECT a.* FROM unnest(${arrays(ATTEMPT_COLUMNS, LEDGER_COLUMNS.length + 1)}) AS a(${names(ATTEMPT_COLUMNS)}) ` +
    'WHERE a.request_id IN (SELECT request_id FROM inserted) ' +
    'ON CONFLICT (request_id, attempt) DO NOTHING'
  );
}

/**
 * The statement's parameters for a batch: one array per ledger column, then one per attempt
 * column. The batch must not hold the same request id twice (the ledger makes sure).
 */
export function insertBatchParams(records: readonly LedgerRecord[]): unknown[][] {
  const ledger = LEDGER_COLUMNS.map(() => new Array<unknown>(records.length));
  const attempts: unknown[][] = ATTEMPT_COLUMNS.map(() => []);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as LedgerRecord;
    const columns = columnsFromRecord(record);
    for (let c = 0; c < LEDGER_COLUMNS.length; c++) {
      const name = LEDGER_COLUMNS[c] as keyof LedgerColumns;
      const value = columns[name];
      (ledger[c] as unknown[])[i] = name === 'tags' && value !== null ? JSON.stringify(value) : value;
    }
    for (const attempt of record.attempts) {
      const row = columnsFromAttempt(record.requestId, attempt);
      for (let c = 0; c < ATTEMPT_COLUMNS.length; c++) {
        (attempts[c] as unknown[]).push(row[ATTEMPT_COLUMNS[c] as keyof AttemptColumns]);
      }
    }
  }
  return [...ledger, ...attempts];
}

export function toRecord(row: PgLedgerRow, attempts: readonly PgAttemptRow[]): LedgerRecord {
  return recordFromColumns({ ...row, tags: row.tags === null ? null : tagsFrom(row.tags) }, attempts);
}

/** Groups attempt rows (ordered by request id, attempt) by request id. */
export function attemptsById(rows: readonly PgAttemptRow[]): Map<string, PgAttemptRow[]> {
  const byId = new Map<string, PgAttemptRow[]>();
  for (const row of rows) {
    const list = byId.get(row.request_id);
    if (list === undefined) byId.set(row.request_id, [row]);
    else list.push(row);
  }
  return byId;
}
