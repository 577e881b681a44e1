/**
 * @module storage/redis/bullmq-job-queue
 * The JobQueue on Redis through BullMQ, for gateways scaled out over several replicas. The port
 * maps onto BullMQ's manual-processing API: `claim` is `Worker.getNextJob(token)` with the
 * worker id as the lock token and the lease as `lockDuration`; `renew` is `extendLock`;
 * `complete` and `fail` are `moveToCompleted` / `moveToFailed` with that token, which BullMQ's
 * scripts refuse when the lock is someone else's — the same fencing as the SQL backends.
 * Priorities map to BullMQ priorities (1 is its highest), dead letters are its `failed` set,
 * and retries its `delayed` set, with a custom backoff strategy so that the delay and the
 * retry-or-die decision follow job-rules.ts exactly.
 *
 * Differences from the SQL backends, all inherent to BullMQ: a lease that runs out is noticed
 * by a stalled check that runs every `stalledIntervalMs` in each process that has claimed, so
 * a job is claimable again up to two intervals after its lease ends, not at once; a worker
 * whose lease ran out cannot complete the job even if nobody took it over (the lock is gone);
 * `runAt` of a job backing off is approximate; lists follow BullMQ's set order, not strictly
 * newest first; a job id must not be all digits or contain `:`.
 */

import { type BackoffStrategy, Job as BullJob, type JobType, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { GatewayError } from '../../core/errors.js';
import {
  JOB_MAX_ATTEMPTS_LIMIT,
  JOB_PRIORITY_MAX,
  JOB_STATES,
  type Job,
  type JobCounts,
  type JobError,
  type JobQueue,
  type JobQueueSettings,
  type JobState,
} from '../job-ports.js';
import {
  afterFailure,
  leaseExpiredError,
  parseJobError,
  resolveJobSettings,
  validateNewJob,
} from '../job-rules.js';

export interface BullmqJobQueueOptions extends JobQueueSettings {
  /** `redis://…`; ignored when `connection` is given. */
  url?: string;
  /** A connection to share; it must have `maxRetriesPerRequest: null`, and is not closed by `close()`. */
  connection?: Redis;
  /** Default `jobs`. */
  queueName?: string;
  /** Key prefix; default `switchyard`. */
  prefix?: string;
  /** How often each claiming process looks for jobs whose lease ran out; default 5,000 ms. */
  stalledIntervalMs?: number;
  /** Told about background errors (the stalled check, a lost connection). */
  onError?: (error: unknown) => void;
  /** Longest an operation waits for Redis before failing with SERVICE_UNAVAILABLE; default 5,000 ms. */
  operationTimeoutMs?: number;
}

/** The backoff type on every job; its delay comes from the error, see `failWith`. */
const BACKOFF_TYPE = 'switchyard';

/** What `fail` decided, riding on the error BullMQ hands to the backoff strategy. */
interface DecidedError extends Error {
  switchyardDelayMs?: number;
}

// BullMQ's codes for a job that is not (or no longer) the caller's: missing key or lock, not
// active, lock held by another token.
const FENCED_CODES = new Set([-1, -2, -3, -6]);

/**
 * Fails after `ms` when Redis does not answer: a request must not hang on a lost connection
 * (BullMQ waits for a connection indefinitely). The operation itself may still complete later
 * — an enqueue then adds its job after all, and a claim's lease lapses and frees its job.
 */
async function within<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new GatewayError('SERVICE_UNAVAILABLE', `the job queue (Redis) did not answer within ${ms} ms`, {
            retryAfterMs: 1_000,
          }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([operation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isFenced(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && FENCED_CODES.has(code);
}

/** Our priority (higher first) → BullMQ's (1 first); never 0, which would skip the prioritized set. */
function toBullPriority(priority: number): number {
  return JOB_PRIORITY_MAX + 1 - priority;
}

function fromBullPriority(priority: number | undefined): number {
  return priority === undefined || priority === 0 ? 0 : JOB_PRIORITY_MAX + 1 - priority;
}

const BULL_TYPES: Record<JobState, JobType[]> = {
  waiting: ['wait', 'prioritized'],
  active: ['active'],
  delayed: ['delayed'],
  completed: ['completed'],
  dead: ['failed'],
};

function fromBullState(state: string): JobState | undefined {
  switch (state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return 'dead';
    case 'delayed':
      return 'delayed';
    case 'active':
      return 'active';
    case 'waiting':
    case 'wait':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    default:
      return undefined;
  }
}

export async function createBullmqJobQueue(options: BullmqJobQueueOptions): Promise<JobQueue> {
  const settings = resolveJobSettings(options);
  const queueName = options.queueName ?? 'jobs';
  const prefix = options.prefix ?? 'switchyard';
  const stalledInterval = options.stalledIntervalMs ?? 5_000;
  const onError = options.onError ?? (() => {});
  const owned = options.connection === undefined;
  const connection =
    options.connection ??
    new Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null, lazyConnect: false });
  if (owned) connection.on('error', onError);

  const timeoutMs = options.operationTimeoutMs ?? 5_000;
  const queue = new Queue(queueName, { connection, prefix });
  queue.on('error', onError);
  // Start without Redis if need be: operations fail with SERVICE_UNAVAILABLE until it answers.
  await within(queue.waitUntilReady(), timeoutMs).catch(onError);

  const backoffStrategy: BackoffStrategy = (_attemptsMade, _type, error) =>
    (error as DecidedError | undefined)?.switchyardDelayMs ?? -1;

  // One BullMQ worker per lease length (the lock duration is a worker setting); the first one
  // also runs the stalled check that takes back jobs whose lease ran out.
  const workers = new Map<number, Worker>();
  // Jobs this process claimed, and for whom, so that renew/complete/fail need no extra read.
  const held = new Map<string, { job: BullJob; workerId: string }>();
  let closed = false;

  function workerFor(leaseMs: number): Worker {
    let worker = workers.get(leaseMs);
    if (worker !== undefined) return worker;
    worker = new Worker(queueName, null, {
      connection,
      prefix,
      autorun: false,
      lockDuration: leaseMs,
      stalledInterval,
      // Our own rule decides when an abandoned job is dead (see claim), not BullMQ's count.
      maxStalledCount: JOB_MAX_ATTEMPTS_LIMIT,
      skipLockRenewal: true,
      settings: { backoffStrategy },
    });
    worker.on('error', onError);
    if (workers.size === 0) void worker.startStalledCheckTimer().catch(onError);
    workers.set(leaseMs, worker);
    return worker;
  }

  /** Any worker, for operations on a job this process did not claim. */
  function anyWorker(): Worker {
    const first = workers.values().next();
    return first.done === true ? workerFor(30_000) : first.value;
  }

  async function jobOf(id: string, workerId: string): Promise<BullJob | undefined> {
    const mine = held.get(id);
    return mine !== undefined && mine.workerId === workerId
      ? mine.job
      : await BullJob.fromId(anyWorker(), id);
  }

  /** The job is finished or no longer `workerId`'s: forget it (unless another worker here holds it). */
  function release(id: string, workerId: string): void {
    if (held.get(id)?.workerId === workerId) held.delete(id);
  }

  function check(): void {
    if (closed) throw new Error('job queue is closed');
  }

  /** Moves a held job to failed or delayed as `outcome` says; undefined when fenced. */
  async function failWith(
    job: BullJob,
    workerId: string,
    error: JobError,
    delayMs: number,
  ): Promise<boolean> {
    const carrier: DecidedError = new Error(JSON.stringify(error));
    carrier.switchyardDelayMs = delayMs;
    try {
      await job.moveToFailed(carrier, workerId, false);
      return true;
    } catch (err) {
      if (isFenced(err)) return false;
      throw err;
    }
  }

  async function lockOf(id: string): Promise<{ workerId: string; leaseUntil: number } | undefined> {
    const key = `${queue.toKey(id)}:lock`;
    const [token, ttl] = await Promise.all([connection.get(key), connection.pttl(key)]);
    return token === null ? undefined : { workerId: token, leaseUntil: Date.now() + Math.max(ttl, 0) };
  }

  function toJob(job: BullJob, state: JobState): Job {
    const now = Date.now();
    const out: Job = {
      id: job.id ?? '',
      kind: job.name,
      payload: job.data,
      priority: fromBullPriority(job.opts.priority),
      state,
      attempts: job.attemptsStarted ?? 0,
      maxAttempts: job.opts.attempts ?? 1,
      createdAt: job.timestamp,
      updatedAt: Math.max(job.timestamp, job.processedOn ?? 0, job.finishedOn ?? 0),
      runAt:
        state === 'delayed' && job.attemptsMade > 0
          ? (job.processedOn ?? now) + (job.delay ?? 0)
          : job.timestamp + (job.delay ?? 0),
    };
    if (state === 'completed') out.result = job.returnvalue;
    if (job.failedReason && (state === 'dead' || state === 'delayed' || job.attemptsMade > 0)) {
      const error = parseJobError(job.failedReason);
      if (error !== undefined) out.error = error;
    }
    if (job.finishedOn !== undefined && (state === 'completed' || state === 'dead')) {
      out.finishedAt = job.finishedOn;
    }
    return out;
  }

  const direct: Omit<JobQueue, 'backend'> = {
    async enqueue(input) {
      check();
      const now = Date.now();
      const job = validateNewJob(input, settings, now);
      await queue.add(job.kind, job.payload, {
        jobId: job.id,
        priority: toBullPriority(job.priority),
        attempts: job.maxAttempts,
        backoff: { type: BACKOFF_TYPE, delay: settings.backoffMs },
        delay: Math.max(0, job.runAt - now),
        removeOnComplete: false,
        removeOnFail: false,
      });
      return job.id;
    },

    async claim(workerId, leaseMs) {
      check();
      const worker = workerFor(leaseMs);
      for (;;) {
        const job = await worker.getNextJob(workerId, { block: false });
        if (job === undefined || job.id === undefined) return undefined;
        const maxAttempts = job.opts.attempts ?? 1;
        if (job.attemptsStarted > maxAttempts) {
          // Claimed again after its lease ran out on the last attempt: dead, as in the SQL backends.
          await failWith(job, workerId, leaseExpiredError(job.attemptsStarted - 1), -1);
          continue;
        }
        held.set(job.id, { job, workerId });
        return { ...toJob(job, 'active'), workerId, leaseUntil: Date.now() + leaseMs };
      }
    },

    async renew(id, workerId, leaseMs) {
      check();
      const job = await jobOf(id, workerId);
      if (job === undefined) return false;
      const renewed = (await job.extendLock(workerId, leaseMs)) === 1;
      if (!renewed) release(id, workerId);
      return renewed;
    },

    async complete(id, workerId, result) {
      check();
      const job = await jobOf(id, workerId);
      if (job === undefined) return false;
      try {
        await job.moveToCompleted(result ?? null, workerId, false);
        return true;
      } catch (err) {
        if (isFenced(err)) return false;
        throw err;
      } finally {
        release(id, workerId);
      }
    },

    async fail(id, workerId, error, retryAt) {
      check();
      const job = await jobOf(id, workerId);
      if (job === undefined) return undefined;
      const now = Date.now();
      const outcome = afterFailure(
        job.attemptsStarted,
        job.opts.attempts ?? 1,
        error,
        retryAt,
        now,
        settings,
      );
      const delayMs = outcome.state === 'dead' ? -1 : Math.max(1, outcome.runAt - now);
      const failed = await failWith(job, workerId, error, delayMs);
      release(id, workerId);
      return failed ? outcome.state : undefined;
    },

    async get(id) {
      check();
      // State first, then the data: the data is then at least as new as the state, so a job
      // never shows as completed (or dead) without its result (or error).
      const state = fromBullState(await queue.getJobState(id));
      if (state === undefined) return undefined;
      const job = await queue.getJob(id);
      if (job === undefined) return undefined;
      const out = toJob(job, state);
      if (state === 'active') {
        const lock = await lockOf(id);
        if (lock !== undefined) Object.assign(out, lock);
      }
      return out;
    },

    async list(query = {}) {
      check();
      const limit = Math.max(0, Math.floor(query.limit ?? 100));
      if (limit === 0) return [];
      const states = query.state === undefined ? JOB_STATES : [query.state];
      const out: Job[] = [];
      for (const state of states) {
        const jobs = await queue.getJobs(BULL_TYPES[state], 0, limit - 1, false);
        for (const job of jobs) if (job !== undefined && job !== null) out.push(toJob(job, state));
      }
      if (states.length > 1) out.sort((a, b) => b.createdAt - a.createdAt);
      return out.slice(0, limit);
    },

    async counts() {
      check();
      const raw = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'completed', 'failed');
      const counts: JobCounts = {
        waiting: (raw.wait ?? 0) + (raw.prioritized ?? 0),
        active: raw.active ?? 0,
        delayed: raw.delayed ?? 0,
        completed: raw.completed ?? 0,
        dead: raw.failed ?? 0,
      };
      return counts;
    },

    async retryDead(id) {
      check();
      const job = await queue.getJob(id);
      if (job === undefined || (await job.getState()) !== 'failed') return false;
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return true;
      } catch (err) {
        if (isFenced(err)) return false;
        throw err;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      held.clear();
      await Promise.all([...workers.values()].map((worker) => worker.close(true)));
      await queue.close();
      if (owned) await connection.quit();
    },
  };

  return {
    backend: 'bullmq',
    enqueue: (job) => within(direct.enqueue(job), timeoutMs),
    claim: (workerId, leaseMs) => within(direct.claim(workerId, leaseMs), timeoutMs),
    renew: (id, workerId, leaseMs) => within(direct.renew(id, workerId, leaseMs), timeoutMs),
    complete: (id, workerId, result) => within(direct.complete(id, workerId, result), timeoutMs),
    fail: (id, workerId, error, retryAt) => within(direct.fail(id, workerId, error, retryAt), timeoutMs),
    get: (id) => within(direct.get(id), timeoutMs),
    list: (query) => within(direct.list(query), timeoutMs),
    counts: () => within(direct.counts(), timeoutMs),
    retryDead: (id) => within(direct.retryDead(id), timeoutMs),
    close: () => direct.close(),
  };
}
