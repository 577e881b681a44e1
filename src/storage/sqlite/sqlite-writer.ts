/**
 * @module storage/sqlite/sqlite-writer
 * Where the ledger's writes, and its long reads (usage reports), run. better-sqlite3 is
 * synchronous, and a 500-record transaction measured 4.5–9 ms (p99 13–69 ms on a busy machine,
 * when SQLite's automatic WAL checkpoint lands on the commit): too long to hold the gateway's
 * event loop. The worker writer runs the transactions, and with them the checkpoints, on a worker
 * thread with its own connection; the main thread only posts a batch's codes (in shared memory:
 * the thread reads the queue's own arrays), its string table and its request ids, which the
 * thread decodes into each statement's arguments (ledger-rows.ts), the text as UTF-8 bytes it
 * converts once per batch. The inline writer runs them on the calling thread, for `:memory:`
 * databases and for callers that want no thread. Both insert with multi-row INSERT OR IGNORE
 * statements and add a record's attempts only with a new ledger row, so a replayed batch (after a
 * crash mid-write), or a second record with a request id already in the table or earlier in the
 * batch, changes nothing. A report over a month of a million requests takes most of a second in
 * SQLite, so `read` runs on the same thread as the writes: the gateway's event loop never waits
 * for it, and records keep queueing meanwhile. Checkpoints are SQLite's own (PASSIVE, once the WAL
 * holds 1,000 pages, in the commit that crosses it): what one costs is copying the pages the
 * records added, so a longer interval saves next to nothing (measured: twice the interval copies
 * 3 % fewer pages; with 16 KiB pages, 4,000 instead of 1,000 left the writer's reads and writes
 * per record as they were, and a page cache of 2 or 64 MB instead of SQLite's 16 changed nothing
 * either: a batch touches the right-most pages of each B-tree, a few dozen).
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import {
  ATTEMPT_TEXT_COLUMNS,
  decodeRow,
  INSERTED_BETWEEN_SQL,
  LEDGER_TEXT_COLUMNS,
  MULTI_ROW_INSERTS,
  type MultiRowInsert,
  type RowBatch,
  type SqlValue,
  UPDATE_FEEDBACK_SQL,
} from './ledger-rows.js';
import { P95_FUNCTION } from './usage-sql.js';

export interface SqliteWriter {
  /** Inserts a batch in one transaction. */
  write(batch: RowBatch): Promise<void>;
  /** Sets a request's feedback; resolves to the number of rows changed (0 if unknown). */
  setFeedback(requestId: string, rating: number, comment: string | null): Promise<number>;
  /**
   * Runs a long SELECT (a usage report) off the caller's thread where there is one, once per
   * parameter list; resolves to the rows of each run.
   */
  read(sql: string, paramSets: readonly (readonly SqlValue[])[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** Runs SELECTs on a connection, preparing each distinct statement once. */
function createStatementCache(db: Database.Database) {
  const statements = new Map<string, Database.Statement<unknown[]>>();
  return (sql: string, paramSets: readonly (readonly SqlValue[])[]): unknown[][] => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<unknown[]>(sql);
      statements.set(sql, statement);
    }
    const prepared = statement;
    return paramSets.map((params) => prepared.all(...params));
  };
}

/** What `createBatchInsert` prepares its statements from, and how it reads a batch's codes. */
interface BatchSql {
  inserts: readonly MultiRowInsert[];
  insertedBetween: string;
  /** Per ledger column, then per attempt column: whether its codes index the string table. */
  ledgerText: readonly boolean[];
  attemptText: readonly boolean[];
}

const BATCH_SQL: BatchSql = {
  inserts: MULTI_ROW_INSERTS,
  insertedBetween: INSERTED_BETWEEN_SQL,
  ledgerText: LEDGER_TEXT_COLUMNS,
  attemptText: ATTEMPT_TEXT_COLUMNS,
};

type DecodeRow = typeof decodeRow;
/** What the writer binds: a text value as its UTF-8 bytes, or as a string. */
type BindValue = SqlValue | Buffer;

/**
 * The function that inserts a batch in one transaction on `db`. The worker thread runs this very
 * function from its source text (see WORKER_SOURCE), so it uses nothing but its parameters.
 */
function createBatchInsert(
  db: Database.Database,
  sql: BatchSql,
  decode: DecodeRow,
): (batch: RowBatch) => void {
  const ledgerWidth = sql.ledgerText.length;
  const attemptWidth = sql.attemptText.length;
  // One argument list per statement, decoded into again for every run (the statement copies the
  // values as it binds them). No named arrow functions in here: a loader that keeps function
  // names (tsx) would wrap them in a helper the worker thread does not have.
  const inserts = sql.inserts.map((insert) => ({
    rows: insert.rows,
    ledger: db.prepare<BindValue[]>(insert.ledger),
    ledgerValues: Array.from({ length: insert.rows * ledgerWidth }, (): BindValue => null),
    attempts: db.prepare<BindValue[]>(insert.attempts),
    attemptValues: Array.from({ length: insert.rows * attemptWidth }, (): BindValue => null),
  }));
  const insertedBetween = db.prepare<[number, number], string>(sql.insertedBetween).pluck();

  return db.transaction((batch: RowBatch) => {
    const { records } = batch;
    const codes = batch.ledger;
    // Text goes in as UTF-8 bytes, made once per batch, which the statements cast back to TEXT:
    // better-sqlite3 converts a string to UTF-8 in a fresh allocation every time it binds one,
    // once per row for a model or key repeated in every row (5 % of the thread's instructions per
    // record, measured). A string with a surrogate keeps being bound as a string, byte for byte as
    // before: Buffer.from would write a lone one as U+FFFD, where better-sqlite3 writes its own
    // three bytes.
    const texts: (Buffer | string | null)[] = new Array(batch.strings.length);
    for (let code = 0; code < texts.length; code++) {
      const text = batch.strings[code] as string | null;
      texts[code] = text === null || /[\uD800-\uDFFF]/.test(text) ? text : Buffer.from(text);
    }
    // Request ids, each unique to its record, are bound as strings: a Buffer object per id (cut
    // from one Buffer of them all) cost as much as the conversion it spares (measured).
    const requestIds = batch.ids;
    // Records whose request id was in the table already: their attempts are not added either.
    let known: Set<number> | undefined;
    let first = 0;
    // Values go in as arguments, not as one array: better-sqlite3 reads an array element by
    // element through the V8 API, about 2 µs more per row (measured).
    for (const { rows, ledger, ledgerValues } of inserts) {
      for (; records - first >= rows; first += rows) {
        for (let row = 0; row < rows; row++) {
          const at = (first + row) * ledgerWidth;
          ledgerValues[row * ledgerWidth] = requestIds[codes[at] as number] as string;
          decode(codes, at, sql.ledgerText, texts, ledgerValues, row * ledgerWidth);
        }
        const result = ledger.run(...ledgerValues);
        if (result.changes === rows) continue;
        // Rare (a batch written again after a crash): the statement added only some rows. Those
        // took the rowids up to the last it added, one after another (the table has rowids, and
        // a new row gets the largest plus one).
        const last = Number(result.lastInsertRowid);
        const added = new Set(result.changes === 0 ? [] : insertedBetween.all(last - result.changes, last));
        known ??= new Set();
        for (let record = first; record < first + rows; record++)
          if (!added.delete(requestIds[record] as string)) known.add(record);
      }
    }
    // The attempt rows to add, in order: all of them unless some records were known.
    let attemptRows: number[] | undefined;
    if (known !== undefined) {
      attemptRows = [];
      for (let row = 0; row < batch.attemptRows; row++)
        if (!known.has(batch.attempts[row * attemptWidth] as number)) attemptRows.push(row);
    }
    const count = attemptRows === undefined ? batch.attemptRows : attemptRows.length;
    first = 0;
    for (const { rows, attempts: insert, attemptValues } of inserts)
      for (; count - first >= rows; first += rows) {
        for (let i = 0; i < rows; i++) {
          const row = attemptRows === undefined ? first + i : (attemptRows[first + i] as number);
          const at = row * attemptWidth;
          attemptValues[i * attemptWidth] = requestIds[batch.attempts[at] as number] as string;
          decode(batch.attempts, at, sql.attemptText, texts, attemptValues, i * attemptWidth);
        }
        insert.run(...attemptValues);
      }
  });
}

export function createInlineWriter(db: Database.Database): SqliteWriter {
  const writeBatch = createBatchInsert(db, BATCH_SQL, decodeRow);
  const updateFeedback = db.prepare<[number, string | null, string]>(UPDATE_FEEDBACK_SQL);
  const read = createStatementCache(db);
  return {
    async write(batch) {
      writeBatch(batch);
    },
    async setFeedback(requestId, rating, comment) {
      return updateFeedback.run(rating, comment, requestId).changes;
    },
    async read(sql, paramSets) {
      return read(sql, paramSets);
    },
    async close() {},
  };
}

/** For a ledger opened read-only (the CLI's reports): reads inline, refuses every write. */
export function createReadOnlyWriter(db: Database.Database): SqliteWriter {
  const read = createStatementCache(db);
  const refuse = () => Promise.reject(new Error('ledger is read-only'));
  return {
    write: refuse,
    setFeedback: refuse,
    async read(sql, paramSets) {
      return read(sql, paramSets);
    },
    async close() {},
  };
}

// Plain CommonJS, evaluated, so that it runs the same from the TypeScript sources under test and
// from the compiled build. Messages are handled one at a time, in order.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const writeBatch = (${createBatchInsert.toString()})(db, workerData.batchSql, ${decodeRow.toString()});
const updateFeedback = db.prepare(workerData.updateFeedback);
// The same nearest-rank percentile as registerUsageFunctions in usage-sql.ts.
db.aggregate(workerData.p95Function, {
  start: () => [],
  step: (values, value) => { values.push(value); return values; },
  result: (values) => {
    if (values.length === 0) return null;
    values.sort((a, b) => a - b);
    return values[Math.max(0, Math.ceil(0.95 * values.length) - 1)];
  },
});
const statements = new Map();
parentPort.on('message', (message) => {
  try {
    if (message.op === 'write') {
      writeBatch(message.batch);
      parentPort.postMessage({ id: message.id, ok: true, changes: 0 });
    } else if (message.op === 'read') {
      let statement = statements.get(message.sql);
      if (statement === undefined) {
        statement = db.prepare(message.sql);
        statements.set(message.sql, statement);
      }
      const rows = message.paramSets.map((params) => statement.all(...params));
      parentPort.postMessage({ id: message.id, ok: true, rows });
    } else if (message.op === 'feedback') {
      const result = updateFeedback.run(message.rating, message.comment, message.requestId);
      parentPort.postMessage({ id: message.id, ok: true, changes: result.changes });
    } else if (message.op === 'close') {
      try { db.close(); } finally { parentPort.close(); }
    }
  } catch (err) {
    parentPort.postMessage({
      id: message.id,
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      code: err && typeof err.code === 'string' ? err.code : undefined,
    });
  }
});
`;

type WorkerRequest =
  | { op: 'write'; batch: RowBatch }
  | { op: 'feedback'; requestId: string; rating: number; comment: string | null }
  | { op: 'read'; sql: string; paramSets: readonly (readonly SqlValue[])[] };

interface WorkerReply {
  id: number;
  ok: boolean;
  changes?: number;
  rows?: unknown[][];
  message?: string;
  code?: string;
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (err: unknown) => void;
}

export interface WorkerWriterOptions {
  path: string;
  busyTimeoutMs: number;
  /** Told when the thread dies with no request to carry the error. */
  onError: (err: unknown) => void;
}

/**
 * A writer on a worker thread. A thread that dies fails its requests and is replaced on the next
 * request. The thread is referenced only while a request is in flight, so an idle ledger never
 * keeps a process alive, and a pending flush or close never lets it exit early.
 */
export function createWorkerWriter(options: WorkerWriterOptions): SqliteWriter {
  const workerData = {
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs,
    batchSql: BATCH_SQL,
    updateFeedback: UPDATE_FEEDBACK_SQL,
    p95Function: P95_FUNCTION,
  };
  const pending = new Map<number, Pending>();
  let worker: Worker | undefined;
  let nextId = 1;
  let closing = false;

  function spawn(): Worker {
    const thread = new Worker(WORKER_SOURCE, { eval: true, workerData });
    thread.unref();
    thread.on('message', (reply: WorkerReply) => {
      const request = pending.get(reply.id);
      if (request === undefined) return;
      pending.delete(reply.id);
      if (pending.size === 0 && !closing) thread.unref();
      if (reply.ok) request.resolve(reply);
      else
        request.reject(
          Object.assign(new Error(reply.message ?? 'ledger write failed'), { code: reply.code }),
        );
    });
    thread.on('error', (err) => died(thread, err));
    thread.on('exit', (code) => died(thread, new Error(`ledger writer thread exited with code ${code}`)));
    return thread;
  }

  function died(thread: Worker, err: unknown): void {
    if (worker !== thread) return;
    worker = undefined;
    if (pending.size === 0) {
      options.onError(err);
      return;
    }
    for (const request of pending.values()) request.reject(err);
    pending.clear();
  }

  function send(request: WorkerRequest): Promise<WorkerReply> {
    if (closing) return Promise.reject(new Error('ledger writer is closed'));
    worker ??= spawn();
    const thread = worker;
    const id = nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      thread.ref();
      thread.postMessage({ ...request, id });
    });
  }

  return {
    async write(batch) {
      // The codes are in shared memory: the thread reads the queue's own arrays.
      await send({ op: 'write', batch });
    },
    async setFeedback(requestId, rating, comment) {
      return (await send({ op: 'feedback', requestId, rating, comment })).changes ?? 0;
    },
    async read(sql, paramSets) {
      return (await send({ op: 'read', sql, paramSets })).rows ?? [];
    },
    async close() {
      if (closing) return;
      closing = true;
      const thread = worker;
      if (thread === undefined) return;
      // A thread on its way out is no longer ours: its exit is expected, not a death to report.
      worker = undefined;
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      thread.ref();
      thread.postMessage({ op: 'close', id: nextId++ });
      await exited;
      for (const request of pending.values()) request.reject(new Error('ledger writer is closed'));
      pending.clear();
    },
  };
}
