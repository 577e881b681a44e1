/**
 * @module storage/sqlite/sqlite-ledger
 * The embedded, durable Ledger on SQLite (better-sqlite3, WAL, synchronous=NORMAL). `append()`
 * only encodes the record into the batch being built in memory, as the codes of the row values
 * the writer will insert (ledger-rows.ts); nothing touches the disk on the caller's stack. A
 * record whose id is already queued or written is queued all the same: the writer's INSERT OR
 * IGNORE keeps the first, attempts included, and `get` answers with the first.
 * A timer (`flushMs`) or a full batch (`batchSize`, scheduled with setImmediate, never inline)
 * hands one batch at a time to the writer — a worker thread by default, see sqlite-writer.ts —
 * which inserts it in a single transaction. A batch that fails stays at the head of the queue
 * and is retried with backoff, never dropped, and `onError` is told. Reads run on the main
 * thread's own read-only connection and see queued records too: `get` falls back to the queue;
 * `query`, `count` and `setFeedback` flush first. Usage reports (`aggregate`) run on the
 * writer's thread; exports (`scan`) page through the `ledger_report` index a thousand rows at a
 * time. Opened `readonly` (the CLI's reports on a gateway's database), it never writes, migrates
 * or starts a thread.
 */

import Database from 'better-sqlite3';
import type { Ledger, LedgerQuery, LedgerRecord, UsageQuery, UsageRow } from '../ports.js';
import { checkUsageQuery, compareUsageRows } from '../usage-aggregation.js';
import { createBatchWriteBehind } from '../write-behind.js';
import { checkpointedByWriterThread, useWal } from './database-file.js';
import {
  type AttemptRow,
  addRecord,
  createPendingRows,
  findRecord,
  type LedgerRow,
  type RowBuffers,
  type SqlValue,
  toRecord,
  toRowBatch,
} from './ledger-rows.js';
import { LEDGER_MIGRATIONS, runMigrations } from './migrations.js';
import {
  createInlineWriter,
  createReadOnlyWriter,
  createWorkerWriter,
  type SqliteWriter,
} from './sqlite-writer.js';
import { planUsageQuery, registerUsageFunctions, toUsageRows, type UsageSqlRow } from './usage-sql.js';

export interface SqliteLedgerOptions {
  /** Database file; `:memory:` works (with the inline writer), for tests. */
  path: string;
  /** Records per write transaction; default 500. */
  batchSize?: number;
  /** Longest a record waits in the queue before a write starts; default 50 ms. */
  flushMs?: number;
  /** Told about every failed write; the records stay queued and are retried. */
  onError?: (err: unknown) => void;
  /** `worker` (default) writes on a worker thread; `inline` on the event loop. */
  writer?: 'worker' | 'inline';
  /**
   * How long a write waits for another connection's lock before failing (and being retried);
   * default 1,000 ms on the worker thread, 10 ms inline, where waiting would block the event loop.
   */
  busyTimeoutMs?: number;
  /** Open an existing ledger for reading only: no migrations, no writer thread, appends refused. */
  readonly?: boolean;
}

const MAX_RETRY_DELAY_MS = 5_000;
/** Records per page of `scan`: large enough to amortise a query, small enough to never stall. */
const SCAN_PAGE = 1_000;

export function createSqliteLedger(options: SqliteLedgerOptions): Ledger {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  const flushMs = Math.max(0, options.flushMs ?? 50);
  const onError = options.onError ?? warnWriteFailure;
  const inline = options.writer === 'inline' || options.path === ':memory:';

  // Opening and migrating happen once, at start-up, where blocking is acceptable.
  const db = options.readonly
    ? new Database(options.path, { readonly: true, fileMustExist: true, timeout: 5_000 })
    : new Database(options.path, { timeout: 5_000 });
  if (!options.readonly) {
    useWal(db);
    runMigrations(db, 'ledger', LEDGER_MIGRATIONS);
  } else if (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger'").get() === undefined
  ) {
    db.close();
    throw new Error(`${options.path} holds no ledger (no table "ledger")`);
  }
  registerUsageFunctions(db);
  // What the report planner may use: a read-only ledger may predate migration 2.
  const indexes = new Set(
    db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger'",
      )
      .all()
      .map((row) => row.name),
  );
  let writer: SqliteWriter;
  // Set when this ledger's writer thread checkpoints the file for the event loop's connections.
  let releaseCheckpoints: (() => void) | undefined;
  if (options.readonly) writer = createReadOnlyWriter(db);
  else if (inline) {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10}`);
    writer = createInlineWriter(db);
  } else {
    // From here on this connection only reads: it can never wait on the writer's lock.
    db.pragma('query_only = ON');
    writer = createWorkerWriter({
      path: options.path,
      busyTimeoutMs: options.busyTimeoutMs ?? 1_000,
      onError: report,
    });
    releaseCheckpoints = checkpointedByWriterThread(options.path);
  }

  const selectOne = db.prepare<[string], LedgerRow>('SELECT * FROM ledger WHERE request_id = ?');
  const selectAttempts = db.prepare<[string], AttemptRow>(
    'SELECT * FROM ledger_attempts WHERE request_id = ? ORDER BY attempt',
  );
  const selectAttemptsOf = db.prepare<[string], AttemptRow>(
    'SELECT * FROM ledger_attempts WHERE request_id IN (SELECT value FROM json_each(?)) ORDER BY request_id, attempt',
  );
  const countAll = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM ledger');
  const timeRange = db.prepare<[], { lo: number | null; hi: number | null }>(
    'SELECT MIN(timestamp) AS lo, MAX(timestamp) AS hi FROM ledger',
  );
  const queryStatements = new Map<string, Database.Statement<unknown[], LedgerRow>>();

  function report(err: unknown): void {
    try {
      onError(err);
    } catch {
      // A throwing error handler must not break the retry loop.
    }
  }

  // Room for a full batch up to a few dozen records; a larger one grows as it fills, and keeps
  // its size when its arrays are reused.
  const capacity = Math.min(batchSize, 64);
  // The arrays of written batches, for the next ones: one being filled and one being written
  // is as many as the queue holds while the writer keeps up.
  const spare: RowBuffers[] = [];
  const pending = createBatchWriteBehind({
    builder: {
      create: () => createPendingRows(capacity, spare.pop()),
      add: addRecord,
      find: findRecord,
      release(rows) {
        if (spare.length < 2) spare.push({ ledger: rows.ledger, attempts: rows.attempts });
      },
    },
    write: (rows) => writer.write(toRowBatch(rows)),
    batchSize,
    flushMs,
    maxRetryMs: MAX_RETRY_DELAY_MS,
    report,
  });
  const flush = () => pending.flush();
  let closing: Promise<void> | undefined;

  function queryStatement(query: LedgerQuery): Database.Statement<unknown[], LedgerRow> {
    const where: string[] = [];
    if (query.since !== undefined) where.push('timestamp >= ?');
    if (query.until !== undefined) where.push('timestamp < ?');
    if (query.model !== undefined) where.push('model = ?');
    if (query.keyId !== undefined) where.push('key_id = ?');
    if (query.project !== undefined) where.push('project = ?');
    const sql =
      'SELECT * FROM ledger' +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY timestamp DESC, request_id DESC' +
      (query.limit !== undefined ? ' LIMIT ?' : '');
    return cachedStatement(sql);
  }

  function cachedStatement(sql: string): Database.Statement<unknown[], LedgerRow> {
    let statement = queryStatements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<unknown[], LedgerRow>(sql);
      queryStatements.set(sql, statement);
    }
    return statement;
  }

  function filterParams(query: LedgerQuery): SqlValue[] {
    const params: SqlValue[] = [];
    if (query.since !== undefined) params.push(query.since);
    if (query.until !== undefined) params.push(query.until);
    if (query.model !== undefined) params.push(query.model);
    if (query.keyId !== undefined) params.push(query.keyId);
    if (query.project !== undefined) params.push(query.project);
    return params;
  }

  function attemptsOf(rows: readonly LedgerRow[]): Map<string, AttemptRow[]> {
    const attemptsById = new Map<string, AttemptRow[]>();
    if (rows.length === 0) return attemptsById;
    for (const attempt of selectAttemptsOf.all(JSON.stringify(rows.map((row) => row.request_id)))) {
      const list = attemptsById.get(attempt.request_id);
      if (list === undefined) attemptsById.set(attempt.request_id, [attempt]);
      else list.push(attempt);
    }
    return attemptsById;
  }

  /** The statement of one `scan` page: after the last (timestamp, request id) seen, oldest first. */
  function scanStatement(query: LedgerQuery, first: boolean): Database.Statement<unknown[], LedgerRow> {
    const where: string[] = first ? [] : ['(timestamp, request_id) > (?, ?)'];
    if (query.since !== undefined) where.push('timestamp >= ?');
    if (query.until !== undefined) where.push('timestamp < ?');
    if (query.model !== undefined) where.push('model = ?');
    if (query.keyId !== undefined) where.push('key_id = ?');
    if (query.project !== undefined) where.push('project = ?');
    return cachedStatement(
      'SELECT * FROM ledger' +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ' ORDER BY timestamp, request_id LIMIT ?',
    );
  }

  async function aggregate(query: UsageQuery): Promise<UsageRow[]> {
    checkUsageQuery(query);
    await flush();
    const { lo, hi } = timeRange.get() ?? { lo: null, hi: null };
    if (lo === null || hi === null) return [];
    const plan = planUsageQuery(query, { from: lo, to: hi + 1 }, indexes);
    if (plan === undefined) return [];
    const results = (await writer.read(plan.sql, plan.paramSets)) as UsageSqlRow[][];
    const rows = results.flatMap((result, i) =>
      toUsageRows(result, plan.by, query.p95 === true, plan.periodStarts?.[i]),
    );
    return rows.sort((a, b) => compareUsageRows(a, b, plan.by));
  }

  async function* scan(query: LedgerQuery): AsyncGenerator<LedgerRecord> {
    await flush();
    const filters = filterParams(query);
    let left = query.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(query.limit));
    let after: [number, string] | undefined;
    while (left > 0) {
      const size = Math.min(SCAN_PAGE, left);
      const statement = scanStatement(query, after === undefined);
      const rows = statement.all(...(after === undefined ? [] : after), ...filters, size);
      if (rows.length === 0) return;
      const attempts = attemptsOf(rows);
      for (const row of rows) yield toRecord(row, attempts.get(row.request_id) ?? []);
      const last = rows[rows.length - 1] as LedgerRow;
      after = [last.timestamp, last.request_id];
      left -= rows.length;
      if (rows.length < size) return;
    }
  }

  return {
    append(record) {
      if (options.readonly) throw new Error('ledger is read-only');
      if (closing !== undefined) throw new Error('ledger is closed');
      pending.append(record);
    },

    flush,

    async get(requestId) {
      // The table first: a queued record whose id is already written is a duplicate to ignore.
      const row = selectOne.get(requestId);
      if (row !== undefined) return toRecord(row, selectAttempts.all(requestId));
      return pending.queued(requestId);
    },

    async query(query) {
      await flush();
      const params: unknown[] = filterParams(query);
      if (query.limit !== undefined) params.push(Math.max(0, Math.floor(query.limit)));
      const rows = queryStatement(query).all(...params);
      const attemptsById = attemptsOf(rows);
      return rows.map((row) => toRecord(row, attemptsById.get(row.request_id) ?? []));
    },

    async count() {
      await flush();
      return countAll.get()?.n ?? 0;
    },

    async setFeedback(requestId, rating, comment) {
      if (pending.queued(requestId) !== undefined) await flush();
      return (await writer.setFeedback(requestId, rating, comment ?? null)) > 0;
    },
    aggregate,
    scan,

    close() {
      closing ??= (async () => {
        try {
          await flush();
        } catch (err) {
          throw new Error(`ledger closed with ${pending.pending} records it could not write`, {
            cause: err,
          });
        } finally {
          pending.stop();
          // The reader closes first, so that the writer's connection is the last one and does
          // the final checkpoint off the event loop.
          db.close();
          await writer.close();
          releaseCheckpoints?.();
        }
      })();
      return closing;
    },
  };
}

function warnWriteFailure(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.emitWarning(`ledger write failed, records kept for retry: ${message}`, 'SwitchyardLedgerWarning');
}
