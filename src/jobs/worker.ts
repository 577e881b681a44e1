/**
 * @module jobs/worker
 * The job worker: claims jobs from a JobQueue, up to `concurrency` at a time, runs each through
 * the handler for its kind, and records the outcome — the result, or a failure the queue turns
 * into a backed-off retry or a dead letter. While a job runs its lease is renewed every third of
 * the lease; a renewal that finds the job taken over aborts the handler (another worker has it
 * now, and only one of them can complete it). An idle worker polls every `pollMs`; `wake()` (a
 * job submitted in this process, a job finished) claims at once. `stop()` claims nothing more,
 * waits for running jobs up to `stopTimeoutMs`, then aborts the rest and leaves them to their
 * leases, so they run again elsewhere — nothing is completed twice and nothing is lost.
 */

import { randomUUID } from 'node:crypto';
import { isGatewayError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Job, JobError, JobQueue } from '../storage/job-ports.js';
import { toJobError } from './job-error.js';

/** Runs one job; resolves to its result (JSON-serialisable) or throws why it failed. */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<unknown>;

/** How a job this worker ran ended. `lost`: the lease passed to another worker first. */
export type JobOutcome = 'completed' | 'delayed' | 'dead' | 'lost' | 'abandoned';

export interface JobSettled {
  job: Job;
  outcome: JobOutcome;
  error?: JobError;
}

export interface JobWorkerOptions {
  queue: JobQueue;
  handlers: Readonly<Record<string, JobHandler>>;
  /** Jobs run at once; at least 1. */
  concurrency: number;
  /** Lease of a claimed job, renewed every third of it while the job runs. */
  leaseMs: number;
  /** Idle polling interval. */
  pollMs: number;
  /** This worker's id, the lease holder's name; default a random one. */
  workerId?: string;
  /** How long `stop()` waits for running jobs before abandoning them; default 30 s. */
  stopTimeoutMs?: number;
  /** The stored form of a handler's error; default `toJobError`. */
  describeError?: (error: unknown) => JobError;
  logger?: Logger;
  /** Told when each job ends (metrics, tests). */
  onSettled?: (event: JobSettled) => void;
}

export interface JobWorker {
  readonly id: string;
  /** Starts claiming; idempotent. */
  start(): void;
  /** Claims now instead of at the next poll. */
  wake(): void;
  /** Jobs running now. */
  running(): number;
  /** Stops claiming and winds down (see the module comment); idempotent. */
  stop(): Promise<void>;
}

interface Running {
  controller: AbortController;
  renewal: NodeJS.Timeout;
  done: Promise<void>;
  /** Why the job was given up while it ran, if it was. */
  gone?: 'lost' | 'abandoned';
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { queue, handlers, logger } = options;
  const id = options.workerId ?? `worker-${randomUUID()}`;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const leaseMs = options.leaseMs;
  const renewEveryMs = Math.max(10, Math.floor(leaseMs / 3));
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const describeError = options.describeError ?? ((error: unknown) => toJobError(error));
  const jobs = new Map<string, Running>();
  let started = false;
  let stopping: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let again = false;
  let claimFailing = false;

  function schedule(): void {
    if (stopping !== undefined) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(wake, options.pollMs);
    // The server keeps the process alive; an idle worker alone must not.
    timer.unref();
  }

  /** Claims until the worker is full or the queue is empty; one pass at a time. */
  function wake(): void {
    if (!started || stopping !== undefined) return;
    if (pumping !== undefined) {
      again = true;
      return;
    }
    pumping = pump().finally(() => {
      pumping = undefined;
      schedule();
    });
  }

  async function pump(): Promise<void> {
    do {
      again = false;
      while (stopping === undefined && jobs.size < concurrency) {
        let job: Job | undefined;
        try {
          job = await queue.claim(id, leaseMs);
          claimFailing = false;
        } catch (error) {
          // Storage unreachable: say so once per outage, and try again at the next poll.
          if (!claimFailing) logger?.warn('job claim failed; will retry', { workerId: id, error });
          claimFailing = true;
          return;
        }
        if (job === undefined) break;
        // A job claimed while stopping began still runs: it is ours now, and stop() waits for it.
        run(job);
      }
    } while (again && stopping === undefined);
  }

  function run(job: Job): void {
    const controller = new AbortController();
    const entry: Running = {
      controller,
      renewal: setInterval(() => {
        queue.renew(job.id, id, leaseMs).then(
          (held) => {
            if (held || entry.gone !== undefined) return;
            entry.gone = 'lost';
            controller.abort(new Error('the job was taken over by another worker'));
          },
          (error: unknown) =>
            logger?.warn('job lease renewal failed', { jobId: job.id, workerId: id, error }),
        );
      }, renewEveryMs),
      done: Promise.resolve(),
    };
    entry.renewal.unref();
    jobs.set(job.id, entry);
    entry.done = execute(job, controller.signal, () => entry.gone).then((settled) => {
      clearInterval(entry.renewal);
      jobs.delete(job.id);
      report(settled);
      wake();
    });
  }

  /** Runs the handler and records the outcome; never rejects. */
  async function execute(
    job: Job,
    signal: AbortSignal,
    gone: () => 'lost' | 'abandoned' | undefined,
  ): Promise<JobSettled> {
    let result: unknown;
    try {
      const handler = handlers[job.kind];
      if (handler === undefined) {
        return await record(job, {
          code: 'INVALID_REQUEST',
          message: `no handler for jobs of kind "${job.kind}"`,
          retryable: false,
          status: 400,
        });
      }
      result = await handler(job, signal);
    } catch (error) {
      // Aborted because the lease passed on or the worker is stopping: the attempt does not
      // count as a failure; the lease lapses and the job runs again.
      const reason = gone();
      if (reason !== undefined) return { job, outcome: reason };
      const retryAfterMs = isGatewayError(error) ? error.retryAfterMs : undefined;
      return record(
        job,
        describeError(error),
        retryAfterMs === undefined ? undefined : Date.now() + retryAfterMs,
      );
    }
    try {
      // Even when aborted, a finished result is worth keeping if the lease is still ours.
      const completed = await queue.complete(job.id, id, result);
      if (!completed)
        logger?.warn('job finished after its lease passed on; result discarded', { jobId: job.id });
      return { job, outcome: completed ? 'completed' : 'lost' };
    } catch (error) {
      logger?.error('job result could not be stored; the job will run again', { jobId: job.id, error });
      return { job, outcome: 'abandoned' };
    }
  }

  async function record(job: Job, error: JobError, retryAt?: number): Promise<JobSettled> {
    try {
      const state = await queue.fail(job.id, id, error, retryAt);
      return { job, outcome: state ?? 'lost', error };
    } catch (failure) {
      logger?.error('job failure could not be stored; the job will run again', {
        jobId: job.id,
        error: failure,
      });
      return { job, outcome: 'abandoned', error };
    }
  }

  function report(settled: JobSettled): void {
    const details = {
      jobId: settled.job.id,
      kind: settled.job.kind,
      attempt: settled.job.attempts,
      outcome: settled.outcome,
      ...(settled.error === undefined ? {} : { errorCode: settled.error.code }),
    };
    if (settled.outcome === 'dead') logger?.warn('job is dead', details);
    else logger?.debug('job settled', details);
    try {
      options.onSettled?.(settled);
    } catch (error) {
      logger?.warn('job listener threw', { error });
    }
  }

  return {
    id,

    start() {
      if (started) return;
      started = true;
      wake();
    },

    wake,

    running: () => jobs.size,

    stop() {
      stopping ??= (async () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        await pumping;
        const settled = Promise.all([...jobs.values()].map((entry) => entry.done));
        const finished = await Promise.race([
          settled.then(() => true),
          sleep(stopTimeoutMs).then(() => false),
        ]);
        if (finished) return;
        for (const entry of jobs.values()) {
          // Stop renewing: the lease must lapse for another worker to take the job.
          clearInterval(entry.renewal);
          entry.gone ??= 'abandoned';
          entry.controller.abort(new Error('the worker is stopping'));
        }
        // Handlers end promptly once aborted; do not hang a shutdown on one that does not.
        const aborted = Promise.all([...jobs.values()].map((entry) => entry.done));
        await Promise.race([aborted, sleep(Math.min(5_000, stopTimeoutMs))]);
      })();
      return stopping;
    },
  };
}
