/**
 * @module storage/postgres/postgres-ledger
 * The Ledger on PostgreSQL, shared by every replica. `append()` only copies the record into an
 * in-memory queue; a timer (`flushMs`) or a full batch (`batchSize`) sends one batch at a time
 * as a single multi-row insert, idempotent on request id, so that two replicas, or a replay
 * after a partial write, can never record a request twice. Deadlocks and serialization
 * failures are retried at once (batches are sorted by request id, which makes deadlocks between
 * replicas unlikely in the first place).
 *
 * Records are never dropped. When the database cannot be reached, batches go to a durable local
 * spool (fsynced JSON lines, see storage/spool) and the ledger switches to spooling: every later
 * batch goes there too, in order, while a replay loop probes the database with backoff and
 * feeds the spool back oldest first. When the spool is empty the ledger writes directly again.
 * A spool left by a previous process (a crash, or a shutdown during an outage) is replayed at
 * start. A record PostgreSQL refuses for good (a value out of range) is set aside in the spool's
 * `rejected.jsonl` rather than blocking the records behind it.
 *
 * `flush()` resolves once every record appended before it is durable: inserted in PostgreSQL,
 * or — while the database is unreachable — fsynced to the local spool. Reads (`query`, `count`,
 * `aggregate`, `scan`, `setFeedback`) wait until those records are in PostgreSQL itself, and
 * fail rather than wait while the database is unreachable; `get` also answers from the queue.
 */

import path from 'node:path';
import { escapeIdentifier } from 'pg';
import type { Ledger, LedgerQuery, LedgerRecord, UsageQuery, UsageRow } from '../ports.js';
import { openSpool } from '../spool/spool.js';
import { createSpooledDelivery } from '../spool/spooled-delivery.js';
import { compareUsageRows } from '../usage-aggregation.js';
import { copyRecord, createWriteBehind } from '../write-behind.js';
import { classifyPgError } from './pg-errors.js';
import { openPgPool, type PgPoolOptions } from './pg-pool.js';
import { attemptsSql, type PgUsageRow, querySql, scanPageSql, toUsageRows, usageSql } from './pg-queries.js';
import { attemptsById, type PgAttemptRow, type PgLedgerRow, toRecord } from './pg-rows.js';
import { createPgWriter } from './pg-writer.js';

export interface PostgresLedgerOptions extends PgPoolOptions {
  /** Records per insert; default 500. */
  batchSize?: number;
  /** Longest a record waits in memory before a write starts; default 50 ms. */
  flushMs?: number;
  /** Where batches wait while the database is unreachable; default `./switchyard-spool`. One per process. */
  spoolDir?: string;
  /** Told about every failed write or replay; the records are kept and retried. */
  onError?: (err: unknown) => void;
  /** First and longest wait between replay attempts while the database is down; default 100 ms and 5 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long `close()` waits for a non-empty spool to reach a database that answers again; default 10 s. */
  closeDrainMs?: number;
}

const MAX_WRITE_RETRY_MS = 5_000;
const SCAN_PAGE = 1_000;

export async function createPostgresLedger(options: PostgresLedgerOptions): Promise<Ledger> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  const flushMs = Math.max(0, options.flushMs ?? 50);
  const onError = options.onError ?? warnWriteFailure;
  const retryBaseMs = Math.max(1, options.retryBaseMs ?? 100);
  const retryMaxMs = Math.max(retryBaseMs, options.retryMaxMs ?? 5_000);
  const closeDrainMs = Math.max(0, options.closeDrainMs ?? 10_000);
  const { pool, schema: schemaName } = openPgPool(options, report);
  const schema = escapeIdentifier(schemaName);
  const spool = await openSpool<LedgerRecord>({
    dir: options.spoolDir ?? path.resolve('switchyard-spool'),
    parse: asLedgerRecord,
  });

  const writer = createPgWriter({ pool, schema: schemaName, spool, report });
  const delivery = createSpooledDelivery<LedgerRecord>({
    spool,
    deliver: (records) => writer.write(records),
    probe: async () => {
      await pool.query('SELECT 1');
    },
    batchSize,
    retryBaseMs,
    retryMaxMs,
    report,
  });
  try {
    await writer.migrate();
    // A spool left by a previous process (a crash, or a shutdown during an outage).
    if (!spool.isEmpty()) delivery.replay(false);
  } catch (err) {
    // Down now is survivable (records spool until it answers); wrong credentials are not.
    if (classifyPgError(err) !== 'unavailable') {
      await pool.end().catch(() => undefined);
      await spool.close();
      throw err;
    }
    report(err);
    delivery.replay(true);
  }

  let closing: Promise<void> | undefined;

  function report(err: unknown): void {
    try {
      onError(err);
    } catch {
      // A throwing error handler must not break the write loop.
    }
  }

  // ---- the memory queue: durable means in PostgreSQL or, while it is down, in the spool ----

  const pending = createWriteBehind({
    write: (batch) => delivery.write(batch),
    batchSize,
    flushMs,
    maxRetryMs: MAX_WRITE_RETRY_MS,
    report,
  });
  const flush = () => pending.flush();

  /** Resolves once every record appended so far is in PostgreSQL itself; rejects while it is unreachable. */
  async function settled(): Promise<void> {
    await flush();
    await delivery.drained();
  }

  // ---- reads -------------------------------------------------------------------------------

  async function withAttempts(rows: readonly PgLedgerRow[]): Promise<LedgerRecord[]> {
    if (rows.length === 0) return [];
    const statement = attemptsSql(
      schema,
      rows.map((row) => row.request_id),
    );
    const attempts = attemptsById((await pool.query<PgAttemptRow>(statement.text, statement.values)).rows);
    return rows.map((row) => toRecord(row, attempts.get(row.request_id) ?? []));
  }

  async function* scan(query: LedgerQuery): AsyncGenerator<LedgerRecord> {
    await settled();
    let left = query.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(query.limit));
    let after: [number, string] | undefined;
    while (left > 0) {
      const size = Math.min(SCAN_PAGE, left);
      const statement = scanPageSql(schema, query, after, size);
      const { rows } = await pool.query<PgLedgerRow>(statement.text, statement.values);
      if (rows.length === 0) return;
      yield* await withAttempts(rows);
      const last = rows[rows.length - 1] as PgLedgerRow;
      after = [last.timestamp, last.request_id];
      left -= rows.length;
      if (rows.length < size) return;
    }
  }

  async function aggregate(query: UsageQuery): Promise<UsageRow[]> {
    const statement = usageSql(schema, query);
    await settled();
    const { rows } = await pool.query<PgUsageRow>(statement.text, statement.values);
    const by = query.by ?? [];
    return toUsageRows(rows, query).sort((a, b) => compareUsageRows(a, b, by));
  }

  return {
    append(record) {
      if (closing !== undefined) throw new Error('ledger is closed');
      pending.append(record);
    },

    flush,

    async get(requestId) {
      let row: PgLedgerRow | undefined;
      try {
        const result = await pool.query<PgLedgerRow>(`SELECT * FROM ${schema}.ledger WHERE request_id = $1`, [
          requestId,
        ]);
        row = result.rows[0];
      } catch (err) {
        const waiting = pending.queued(requestId);
        if (waiting !== undefined) return copyRecord(waiting);
        throw err;
      }
      // The table first: a queued record whose id is already written is a duplicate to ignore.
      if (row !== undefined) return (await withAttempts([row]))[0];
      const waiting = pending.queued(requestId);
      return waiting === undefined ? undefined : copyRecord(waiting);
    },

    async query(query) {
      await settled();
      const statement = querySql(schema, query);
      const { rows } = await pool.query<PgLedgerRow>(statement.text, statement.values);
      return withAttempts(rows);
    },

    async count() {
      await settled();
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${schema}.ledger`);
      return rows[0]?.n ?? 0;
    },

    async setFeedback(requestId, rating, comment) {
      await settled();
      const result = await pool.query(
        `UPDATE ${schema}.ledger SET feedback_rating = $1, feedback_comment = $2 WHERE request_id = $3`,
        [rating, comment ?? null, requestId],
      );
      return (result.rowCount ?? 0) > 0;
    },

    aggregate,
    scan,

    close() {
      closing ??= (async () => {
        let failure: unknown;
        try {
          await flush();
          // Give a database that answers again a moment to take the spool before the process goes.
          await within(closeDrainMs, delivery.drained());
        } catch (err) {
          if (pending.pending > 0) {
            failure = new Error(
              `ledger closed with ${pending.pending} records it could neither write nor spool`,
              { cause: err },
            );
          }
        }
        pending.stop();
        await delivery.stop();
        await pool.end().catch(report);
        await spool.close();
        if (failure !== undefined) throw failure;
      })();
      return closing;
    },
  };
}

/** A spooled line is trusted only as far as its shape; PostgreSQL checks the values. */
function asLedgerRecord(value: unknown): LedgerRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<LedgerRecord>;
  if (typeof record.requestId !== 'string' || typeof record.timestamp !== 'number') return undefined;
  if (!Array.isArray(record.attempts)) return undefined;
  return value as LedgerRecord;
}

/** Waits for `promise`, but no longer than `ms`. */
async function within(ms: number, promise: Promise<void>): Promise<void> {
  let timeout: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timeout);
  }
}

function warnWriteFailure(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.emitWarning(
    `PostgreSQL ledger: ${message}; records are kept and retried`,
    'SwitchyardLedgerWarning',
  );
}
