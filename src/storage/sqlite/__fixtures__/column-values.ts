/**
 * The tests' oracle for what the SQLite ledger stores: a record's ledger-row values and its
 * attempt rows' values, in table column order, made from the shared column mapping
 * (ledger-columns.ts) the plain way — tags as JSON, booleans as 0/1, strings as strings — so that
 * the batch encoding (ledger-rows.ts) and the writer can be compared with it.
 */

import {
  ATTEMPT_COLUMNS,
  columnsFromAttempt,
  columnsFromRecord,
  LEDGER_COLUMNS,
} from '../../ledger-columns.js';
import type { LedgerRecord } from '../../ports.js';

/** The values of the record's ledger row, in `LEDGER_COLUMNS` order. */
export function ledgerRowValues(record: LedgerRecord): unknown[] {
  const columns = columnsFromRecord(record);
  const encoded: Record<string, unknown> = {
    ...columns,
    tags: columns.tags === null ? null : JSON.stringify(columns.tags),
    stream: columns.stream ? 1 : 0,
    usage_estimated: columns.usage_estimated ? 1 : 0,
    cache_hit: columns.cache_hit ? 1 : 0,
  };
  return LEDGER_COLUMNS.map((column) => encoded[column]);
}

/** The values of each of the record's attempt rows, in `ATTEMPT_COLUMNS` order. */
export function attemptRowValues(record: LedgerRecord): unknown[][] {
  return record.attempts.map((attempt) => {
    const row = columnsFromAttempt(record.requestId, attempt);
    return ATTEMPT_COLUMNS.map((column) => row[column]);
  });
}
