/**
 * @module storage/sqlite/sqlite-writer
 * Where the ledger's writes, and its long reads (usage reports), run. better-sqlite3 is synchronous, and a 500-record transaction
 * measured 4.5–9 ms (p99 13–69 ms on a busy machine, when SQLite's automatic WAL checkpoint
 * lands on the commit): too long to hold the gateway's event loop. The worker writer runs the
 * transactions, and with them the checkpoints, on a worker thread with its own connection; the
 * main thread only posts arrays of primitives (~0.7 ms for 500 records). The inline writer runs
 * them on the calling thread, for `:memory:` databases and for callers that want no thread.
 * Both insert with INSERT OR IGNORE and add a record's attempts only with a new ledger row, so a
 * replayed batch (after a crash mid-write) changes nothing. A report over a month of a million
 * requests takes most of a second in SQLite, so `read` runs on the same thread as the writes:
 * the gateway's event loop never waits for it, and records keep queueing meanwhile.
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import {
  INSERT_ATTEMPT_SQL,
  INSERT_LEDGER_SQL,
  type RecordRows,
  type SqlValue,
  UPDATE_FEEDBACK_SQL,
} from './ledger-rows.js';
import { P95_FUNCTION } from './usage-sql.js';

export interface SqliteWriter {
  /** Inserts a batch in one transaction. */
  write(batch: readonly RecordRows[]): Promise<void>;
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

export function createInlineWriter(db: Database.Database): SqliteWriter {
  const insertLedger = db.prepare<unknown[]>(INSERT_LEDGER_SQL);
  const insertAttempt = db.prepare<unknown[]>(INSERT_ATTEMPT_SQL);
  const updateFeedback = db.prepare<[number, string | null, string]>(UPDATE_FEEDBACK_SQL);
  const writeBatch = db.transaction((batch: readonly RecordRows[]) => {
    for (const [ledger, attempts] of batch) {
      if (insertLedger.run(ledger).changes === 0) continue;
      for (const attempt of attempts) insertAttempt.run(attempt);
    }
  });
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
const insertLedger = db.prepare(workerData.insertLedger);
const insertAttempt = db.prepare(workerData.insertAttempt);
const updateFeedback = db.prepare(workerData.updateFeedback);
const writeBatch = db.transaction((batch) => {
  for (const [ledger, attempts] of batch) {
    if (insertLedger.run(ledger).changes === 0) continue;
    for (const attempt of attempts) insertAttempt.run(attempt);
  }
});
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
  | { op: 'write'; batch: readonly RecordRows[] }
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
    insertLedger: INSERT_LEDGER_SQL,
    insertAttempt: INSERT_ATTEMPT_SQL,
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
