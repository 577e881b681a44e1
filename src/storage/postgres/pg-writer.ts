/**
 * @module storage/postgres/pg-writer
 * How a batch of ledger records gets into PostgreSQL: migrations first if they have not run (or
 * the tables have gone), then one idempotent multi-row insert. Deadlocks and serialization
 * failures are retried at once, with a short jittered backoff. A batch the database refuses
 * because of a value (not because it is down) is halved until the offending records are alone;
 * those are set aside in the spool's `rejected.jsonl` and the rest is written, so one bad record
 * never holds up the ledger. Any other failure is thrown for the caller to spool.
 */

import { escapeIdentifier, type Pool } from 'pg';
import type { LedgerRecord } from '../ports.js';
import type { Spool } from '../spool/spool.js';
import { classifyPgError, isMissingRelation } from './pg-errors.js';
import { LEDGER_MIGRATIONS, runPgMigrations } from './pg-migrations.js';
import { retryTransient } from './pg-pool.js';
import { insertBatchParams, insertBatchSql } from './pg-rows.js';

export interface PgWriterOptions {
  pool: Pool;
  /** Schema name (unquoted). */
  schema: string;
  /** Where refused records are set aside. */
  spool: Spool<LedgerRecord>;
  report: (err: unknown) => void;
}

export interface PgWriter {
  /** Runs pending migrations (a no-op once done). */
  migrate(): Promise<void>;
  /** Writes the records, each request id at most once; throws if the database cannot take them now. */
  write(records: readonly LedgerRecord[]): Promise<void>;
}

const INSERT_STATEMENT = 'switchyard_ledger_insert';

export function createPgWriter(options: PgWriterOptions): PgWriter {
  const { pool, spool, report } = options;
  const insertSql = insertBatchSql(escapeIdentifier(options.schema));
  let migrated = false;

  async function migrate(): Promise<void> {
    if (migrated) return;
    await runPgMigrations(pool, options.schema, 'ledger', LEDGER_MIGRATIONS);
    migrated = true;
  }

  async function insert(records: readonly LedgerRecord[]): Promise<void> {
    await retryTransient(() =>
      pool.query({ name: INSERT_STATEMENT, text: insertSql, values: insertBatchParams(records) }),
    );
  }

  /** Halves a refused batch until the refused records are alone, and sets those aside. */
  async function writeSplitting(records: readonly LedgerRecord[], refusal: unknown): Promise<void> {
    if (records.length === 1) {
      const record = records[0] as LedgerRecord;
      const reason = refusal instanceof Error ? refusal.message : String(refusal);
      await spool.reject(record, reason);
      report(
        new Error(
          `ledger record ${record.requestId} refused by PostgreSQL (${reason}); kept in ${spool.dir}/rejected.jsonl`,
        ),
      );
      return;
    }
    const middle = records.length >> 1;
    for (const half of [records.slice(0, middle), records.slice(middle)]) {
      try {
        await insert(half);
      } catch (err) {
        if (classifyPgError(err) !== 'rejected') throw err;
        await writeSplitting(half, err);
      }
    }
  }

  return {
    migrate,
    async write(records) {
      await migrate();
      const batch = uniqueSorted(records);
      try {
        await insert(batch);
      } catch (err) {
        if (classifyPgError(err) !== 'rejected') {
          if (isMissingRelation(err)) migrated = false;
          throw err;
        }
        await writeSplitting(batch, err);
      }
    },
  };
}

/** One record per request id (the first), in request-id order so concurrent batches lock rows alike. */
function uniqueSorted(records: readonly LedgerRecord[]): LedgerRecord[] {
  const seen = new Set<string>();
  const unique: LedgerRecord[] = [];
  for (const record of records) {
    if (seen.has(record.requestId)) continue;
    seen.add(record.requestId);
    unique.push(record);
  }
  return unique.sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));
}
