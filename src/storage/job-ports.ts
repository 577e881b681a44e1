/**
 * @module storage/job-ports
 * The `JobQueue` port (DESIGN.md §2): durable asynchronous work with priorities, leases,
 * retries with exponential backoff and a dead-letter state. A worker claims a job and holds it
 * under a lease it renews while the job runs; if the worker dies the lease runs out and the job
 * can be claimed again, so execution is at least once. Completion is fenced by the lease — only
 * the worker that holds the job can complete or fail it, and only once — so a job completes
 * exactly once. Implementations: memory (tests, `memory://`), SQLite (embedded default) and
 * BullMQ on Redis, all held to one contract suite (job-queue.contract.ts).
 */

/**
 * Where a job is. `waiting`: claimable now; `delayed`: claimable from `runAt` (a retry backing
 * off, or a job scheduled for later); `active`: leased to a worker; `completed`: has its result;
 * `dead`: failed for good (out of attempts, or a non-retryable error) — the dead-letter queue.
 */
export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'dead';

export const JOB_STATES: readonly JobState[] = ['waiting', 'active', 'delayed', 'completed', 'dead'];

/** Priorities are integers in this range; higher runs first. */
export const JOB_PRIORITY_MIN = -1000;
export const JOB_PRIORITY_MAX = 1000;
/** Most attempts a job may be given. */
export const JOB_MAX_ATTEMPTS_LIMIT = 100;

/** Why a job attempt failed. Stored with the job; never carries secrets. */
export interface JobError {
  /** A gateway error code (`MODEL_ERROR`, …) or a queue one (`LEASE_EXPIRED`). */
  code: string;
  message: string;
  /** False sends the job to `dead` at once, whatever attempts it has left. Default true. */
  retryable?: boolean;
  /** HTTP status the error would have had on a synchronous call. */
  status?: number;
  details?: Record<string, unknown>;
}

export interface NewJob {
  /** The job's id; generated when absent. Enqueueing an id that exists changes nothing. */
  id?: string;
  /** What the job is (`chat.completion`); picks the worker's handler. */
  kind: string;
  /** JSON-serialisable input of the handler. */
  payload: unknown;
  /** Higher first; default 0; an integer in [JOB_PRIORITY_MIN, JOB_PRIORITY_MAX]. */
  priority?: number;
  /** Claims the job may have before it is dead; default the queue's. */
  maxAttempts?: number;
  /** Epoch ms before which the job is not claimed; default now. */
  runAt?: number;
}

export interface Job {
  id: string;
  kind: string;
  payload: unknown;
  priority: number;
  state: JobState;
  /** Times the job has been claimed (a claim whose worker died counts). */
  attempts: number;
  maxAttempts: number;
  createdAt: number;
  updatedAt: number;
  /** When the job is (or was last) due. */
  runAt: number;
  /** The worker holding it, while active. */
  workerId?: string;
  /** When the current lease runs out, while active. */
  leaseUntil?: number;
  /** The handler's result, once completed. */
  result?: unknown;
  /** The last attempt's error (kept while the job backs off, and once dead). */
  error?: JobError;
  /** When it completed or died. */
  finishedAt?: number;
}

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  dead: number;
}

export interface JobListQuery {
  state?: JobState;
  /** Default 100. */
  limit?: number;
}

export interface JobQueue {
  /** Which implementation this is (`memory`, `sqlite`, `bullmq`), for operators. */
  readonly backend: string;
  /** Adds a job; resolves to its id. Idempotent on `id`: the first job with an id wins. */
  enqueue(job: NewJob): Promise<string>;
  /**
   * Atomically takes the best claimable job — highest priority, then oldest — and leases it to
   * `workerId` for `leaseMs`; counts an attempt. Undefined when nothing is claimable.
   */
  claim(workerId: string, leaseMs: number): Promise<Job | undefined>;
  /** Extends the lease to now + `leaseMs`; false when `workerId` no longer holds the job. */
  renew(id: string, workerId: string, leaseMs: number): Promise<boolean>;
  /**
   * Stores the result and marks the job completed. True only for the call that completed it:
   * false when `workerId` does not hold the job (its lease was taken over, or it is finished).
   */
  complete(id: string, workerId: string, result: unknown): Promise<boolean>;
  /**
   * Records a failed attempt. The job backs off — to `max(retryAt, now + backoff)`, backoff
   * doubling each attempt — while it has attempts left and the error is retryable, and is dead
   * otherwise. Resolves to the state it went to; undefined when `workerId` does not hold it.
   */
  fail(
    id: string,
    workerId: string,
    error: JobError,
    retryAt?: number,
  ): Promise<'delayed' | 'dead' | undefined>;
  get(id: string): Promise<Job | undefined>;
  /** Jobs, newest first (BullMQ: in the order of its sets), optionally of one state. */
  list(query?: JobListQuery): Promise<Job[]>;
  counts(): Promise<JobCounts>;
  /** Moves a dead job back to waiting with a fresh set of attempts; false if it is not dead. */
  retryDead(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Settings every implementation takes. */
export interface JobQueueSettings {
  /** Attempts of a job that does not say; default 3. */
  maxAttempts?: number;
  /** Delay before the first retry, doubled on each further one; default 1,000 ms. */
  backoffMs?: number;
  /** Longest backoff; default 10 minutes. */
  maxBackoffMs?: number;
}

export const DEFAULT_JOB_MAX_ATTEMPTS = 3;
export const DEFAULT_JOB_BACKOFF_MS = 1_000;
export const DEFAULT_JOB_MAX_BACKOFF_MS = 600_000;
