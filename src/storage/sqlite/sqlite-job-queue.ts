/**
 * @module storage/sqlite/sqlite-job-queue
 * The embedded, durable JobQueue on SQLite, in the same database file as the ledger (its own
 * `jobs` table, migrated as component `jobs`). Every state change is one statement or one
 * `BEGIN IMMEDIATE` transaction, so several processes on one file (a gateway and a worker, or a
 * restarted worker) never both take a job: a claim is a single `UPDATE … RETURNING` of the best
 * queued row, and completion is fenced by `state = 'active' AND worker_id = ?`. An idle poll is
 * a read that takes no write lock. Statements run synchronously on the calling thread (WAL,
 * synchronous=NORMAL: microseconds, no fsync); this is the job path, not the request path.
 */

import Database from 'better-sqlite3';
import type { Job, JobCounts, JobError, JobQueue, JobQueueSettings, JobState } from '../job-ports.js';
import {
  afterFailure,
  leaseExpiredError,
  parseJobError,
  resolveJobSettings,
  validateNewJob,
} from '../job-rules.js';
import { useWal } from './database-file.js';
import { type Migration, runMigrations } from './migrations.js';

export const JOB_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs',
    sql: `
      CREATE TABLE jobs (
        seq          INTEGER PRIMARY KEY,
        id           TEXT NOT NULL UNIQUE,
        kind         TEXT NOT NULL,
        payload      TEXT NOT NULL,
        priority     INTEGER NOT NULL,
        state        TEXT NOT NULL,
        attempts     INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        run_at       INTEGER NOT NULL,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        worker_id    TEXT,
        lease_until  INTEGER,
        result       TEXT,
        error        TEXT,
        finished_at  INTEGER
      );
      -- Claims walk this index in order, skipping jobs not yet due.
      CREATE INDEX jobs_claim ON jobs (state, priority DESC, seq);
      CREATE INDEX jobs_due ON jobs (state, run_at);
      CREATE INDEX jobs_leases ON jobs (state, lease_until);
      CREATE INDEX jobs_state ON jobs (state, seq);

      -- Jobs per stored state, kept by triggers, so that counting does not scan the table.
      CREATE TABLE job_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO job_counts (state, n) VALUES ('queued', 0), ('active', 0), ('completed', 0), ('dead', 0);
      CREATE TRIGGER jobs_counted_insert AFTER INSERT ON jobs BEGIN
        UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
      END;
      CREATE TRIGGER jobs_counted_update AFTER UPDATE OF state ON jobs WHEN OLD.state <> NEW.state BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
        UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
      END;
      CREATE TRIGGER jobs_counted_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
      END;
    `,
  },
];

export interface SqliteJobQueueOptions extends JobQueueSettings {
  /** Database file (the ledger's), or an open connection to share. */
  path?: string;
  db?: Database.Database;
  now?: () => number;
  /** How long a statement waits for another connection's write lock; default 1,000 ms. */
  busyTimeoutMs?: number;
}

/** Stored states: `queued` covers waiting and delayed, told apart by `run_at`. */
type StoredState = 'queued' | 'active' | 'completed' | 'dead';

interface JobRow {
  seq: number;
  id: string;
  kind: string;
  payload: string;
  priority: number;
  state: StoredState;
  attempts: number;
  max_attempts: number;
  run_at: number;
  created_at: number;
  updated_at: number;
  worker_id: string | null;
  lease_until: number | null;
  result: string | null;
  error: string | null;
  finished_at: number | null;
}

export function createSqliteJobQueue(options: SqliteJobQueueOptions): JobQueue {
  const settings = resolveJobSettings(options);
  const now = options.now ?? Date.now;
  const owned = options.db === undefined;
  const db =
    options.db ?? new Database(options.path ?? ':memory:', { timeout: options.busyTimeoutMs ?? 1_000 });
  if (owned) useWal(db, options.path === undefined ? undefined : { path: options.path });
  runMigrations(db, 'jobs', JOB_MIGRATIONS);
  let closed = false;

  const insert = db.prepare<[string, string, string, number, number, number, number, number]>(
    `INSERT OR IGNORE INTO jobs
       (id, kind, payload, priority, state, attempts, max_attempts, run_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)`,
  );
  const anyWork = db.prepare<[number, number], { ready: number }>(
    `SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND run_at <= ?)
         OR EXISTS (SELECT 1 FROM jobs WHERE state = 'active' AND lease_until <= ?) AS ready`,
  );
  const selectExpired = db.prepare<[number], { id: string; attempts: number; max_attempts: number }>(
    `SELECT id, attempts, max_attempts FROM jobs WHERE state = 'active' AND lease_until <= ?`,
  );
  const requeue = db.prepare<[number, number, string]>(
    `UPDATE jobs SET state = 'queued', run_at = ?, updated_at = ?, worker_id = NULL, lease_until = NULL
     WHERE id = ?`,
  );
  // Without statistics the planner would pick jobs_due and sort every due job; the claim order
  // is jobs_claim's order, so walk that and stop at the first due job.
  const take = db.prepare<[string, number, number, number], JobRow>(
    `UPDATE jobs SET state = 'active', worker_id = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
     WHERE seq = (SELECT seq FROM jobs INDEXED BY jobs_claim
                  WHERE state = 'queued' AND run_at <= ? ORDER BY priority DESC, seq LIMIT 1)
     RETURNING *`,
  );
  const renewLease = db.prepare<[number, string, string]>(
    `UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'active' AND worker_id = ?`,
  );
  const completeJob = db.prepare<[string, number, number, string, string]>(
    `UPDATE jobs SET state = 'completed', result = ?, error = NULL, finished_at = ?, updated_at = ?,
       worker_id = NULL, lease_until = NULL
     WHERE id = ? AND state = 'active' AND worker_id = ?`,
  );
  const selectHeld = db.prepare<[string, string], JobRow>(
    `SELECT * FROM jobs WHERE id = ? AND state = 'active' AND worker_id = ?`,
  );
  const retryLater = db.prepare<[string, number, number, string]>(
    `UPDATE jobs SET state = 'queued', error = ?, run_at = ?, updated_at = ?, worker_id = NULL, lease_until = NULL
     WHERE id = ?`,
  );
  const bury = db.prepare<[string, number, number, string]>(
    `UPDATE jobs SET state = 'dead', error = ?, finished_at = ?, updated_at = ?, worker_id = NULL, lease_until = NULL
     WHERE id = ?`,
  );
  const selectOne = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');
  const revive = db.prepare<[number, number, string]>(
    `UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, updated_at = ?, error = NULL, finished_at = NULL
     WHERE id = ? AND state = 'dead'`,
  );
  const countStates = db.prepare<[], { state: StoredState; n: number }>('SELECT state, n FROM job_counts');
  const countDelayed = db.prepare<[number], { n: number }>(
    `SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued' AND run_at > ?`,
  );
  const listAll = db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY seq DESC LIMIT ?');
  const listState = db.prepare<[StoredState, number], JobRow>(
    'SELECT * FROM jobs WHERE state = ? ORDER BY seq DESC LIMIT ?',
  );
  const listWaiting = db.prepare<[number, number], JobRow>(
    `SELECT * FROM jobs WHERE state = 'queued' AND run_at <= ? ORDER BY seq DESC LIMIT ?`,
  );
  const listDelayed = db.prepare<[number, number], JobRow>(
    `SELECT * FROM jobs WHERE state = 'queued' AND run_at > ? ORDER BY seq DESC LIMIT ?`,
  );

  const claimTx = db.transaction((workerId: string, leaseMs: number, at: number): JobRow | undefined => {
    // Jobs whose worker's lease ran out go back to the queue, or to the dead letters when that
    // was their last attempt (a job that kills its worker every time must not loop forever).
    for (const expired of selectExpired.all(at)) {
      if (expired.attempts >= expired.max_attempts) {
        bury.run(JSON.stringify(leaseExpiredError(expired.attempts)), at, at, expired.id);
      } else {
        requeue.run(at, at, expired.id);
      }
    }
    return take.get(workerId, at + leaseMs, at, at);
  });

  const failTx = db.transaction(
    (id: string, workerId: string, error: JobError, retryAt: number | undefined, at: number) => {
      const row = selectHeld.get(id, workerId);
      if (row === undefined) return undefined;
      const outcome = afterFailure(row.attempts, row.max_attempts, error, retryAt, at, settings);
      const text = JSON.stringify(error);
      if (outcome.state === 'dead') bury.run(text, at, at, id);
      else retryLater.run(text, outcome.runAt, at, id);
      return outcome.state;
    },
  );

  function check(): void {
    if (closed) throw new Error('job queue is closed');
  }

  return {
    backend: 'sqlite',

    async enqueue(input) {
      check();
      const at = now();
      const job = validateNewJob(input, settings, at);
      const payload = JSON.stringify(job.payload ?? null);
      insert.run(job.id, job.kind, payload, job.priority, job.maxAttempts, job.runAt, at, at);
      return job.id;
    },

    async claim(workerId, leaseMs) {
      check();
      const at = now();
      // Most polls find nothing: answer those from a read, without queueing for the write lock.
      if (anyWork.get(at, at)?.ready !== 1) return undefined;
      const row = claimTx.immediate(workerId, leaseMs, at);
      return row === undefined ? undefined : toJob(row, at);
    },

    async renew(id, workerId, leaseMs) {
      check();
      return renewLease.run(now() + leaseMs, id, workerId).changes === 1;
    },

    async complete(id, workerId, result) {
      check();
      const at = now();
      return completeJob.run(JSON.stringify(result ?? null), at, at, id, workerId).changes === 1;
    },

    async fail(id, workerId, error, retryAt) {
      check();
      return failTx.immediate(id, workerId, error, retryAt, now());
    },

    async get(id) {
      check();
      const row = selectOne.get(id);
      return row === undefined ? undefined : toJob(row, now());
    },

    async list(query = {}) {
      check();
      const at = now();
      const limit = Math.max(0, Math.floor(query.limit ?? 100));
      let rows: JobRow[];
      switch (query.state) {
        case undefined:
          rows = listAll.all(limit);
          break;
        case 'waiting':
          rows = listWaiting.all(at, limit);
          break;
        case 'delayed':
          rows = listDelayed.all(at, limit);
          break;
        default:
          rows = listState.all(query.state, limit);
      }
      return rows.map((row) => toJob(row, at));
    },

    async counts() {
      check();
      const counts: JobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, dead: 0 };
      let queued = 0;
      for (const { state, n } of countStates.all()) {
        if (state === 'queued') queued = n;
        else counts[state] = n;
      }
      counts.delayed = queued === 0 ? 0 : (countDelayed.get(now())?.n ?? 0);
      counts.waiting = queued - counts.delayed;
      return counts;
    },

    async retryDead(id) {
      check();
      const at = now();
      return revive.run(at, at, id).changes === 1;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (owned) db.close();
    },
  };
}

function toJob(row: JobRow, at: number): Job {
  const state: JobState = row.state === 'queued' ? (row.run_at > at ? 'delayed' : 'waiting') : row.state;
  const job: Job = {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload),
    priority: row.priority,
    state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    runAt: row.run_at,
  };
  if (row.worker_id !== null) job.workerId = row.worker_id;
  if (row.lease_until !== null) job.leaseUntil = row.lease_until;
  if (row.result !== null) job.result = JSON.parse(row.result);
  const error = parseJobError(row.error);
  if (error !== undefined) job.error = error;
  if (row.finished_at !== null) job.finishedAt = row.finished_at;
  return job;
}
