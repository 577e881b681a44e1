/**
 * @module jobs/jobs
 * The gateway's job service: the queue `storage` names plus, unless `jobs.concurrency` is 0, a
 * worker that runs its jobs through this gateway. `attachJobs` starts it for a gateway and
 * makes the gateway's `close()` stop the worker first — running jobs finish while the upstream
 * client and the ledger are still open — and close the queue. The HTTP routes find the service
 * with `jobsOf(gateway)`; it lives beside the gateway rather than in it, so that a gateway
 * without jobs carries nothing for them.
 */

import type { Gateway } from '../gateway/gateway.js';
import type { Job, JobQueue, NewJob } from '../storage/job-ports.js';
import { CHAT_COMPLETION_KIND, createChatJobHandler } from './chat-job.js';
import { toJobError } from './job-error.js';
import { openJobQueue } from './open-job-queue.js';
import { createJobWorker, type JobSettled, type JobWorker } from './worker.js';

export interface Jobs {
  readonly queue: JobQueue;
  /** The worker of this process; absent when `jobs.concurrency` is 0. */
  readonly worker: JobWorker | undefined;
  /** Enqueues a job and wakes the local worker; resolves to the stored job. */
  submit(job: NewJob): Promise<Job>;
  /** Stops the worker (running jobs finish first, within its stop timeout), then closes the queue. */
  close(): Promise<void>;
}

export interface StartJobsOptions {
  /** The worker's id (default random). */
  workerId?: string;
  /** How long closing waits for running jobs; default 30 s. */
  stopTimeoutMs?: number;
  onSettled?: (event: JobSettled) => void;
}

const services = new WeakMap<Gateway, Jobs>();

/** The job service of a gateway, when it has one. */
export function jobsOf(gateway: Gateway): Jobs | undefined {
  return services.get(gateway);
}

/** Builds the job service over `queue` for `gateway`, and starts its worker. */
export function startJobs(gateway: Gateway, queue: JobQueue, options: StartJobsOptions = {}): Jobs {
  const settings = gateway.config.jobs;
  const worker =
    settings.concurrency === 0
      ? undefined
      : createJobWorker({
          queue,
          handlers: { [CHAT_COMPLETION_KIND]: createChatJobHandler(gateway) },
          concurrency: settings.concurrency,
          leaseMs: settings.visibility_timeout_ms,
          pollMs: settings.poll_ms,
          describeError: (error) => toJobError(error, (value) => gateway.redactor.value(value)),
          logger: gateway.logger,
          ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
          ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
          ...(options.onSettled === undefined ? {} : { onSettled: options.onSettled }),
        });
  worker?.start();
  let closing: Promise<void> | undefined;
  return {
    queue,
    worker,
    async submit(job) {
      const id = await queue.enqueue(job);
      // Read before waking the worker, so that the caller sees the job as it was submitted.
      const stored = await queue.get(id);
      worker?.wake();
      if (stored === undefined) throw new Error(`job ${id} vanished right after it was enqueued`);
      return stored;
    },
    close() {
      closing ??= (async () => {
        try {
          await worker?.stop();
        } finally {
          await queue.close();
        }
      })();
      return closing;
    },
  };
}

/**
 * Gives the gateway its job service when `jobs.enabled` (and storage has a job backend, or
 * `queue` is given), and chains its shutdown in front of the gateway's own. Returns the same
 * gateway.
 */
export async function attachJobs(
  gateway: Gateway,
  options: StartJobsOptions & { queue?: JobQueue } = {},
): Promise<Gateway> {
  if (!gateway.config.jobs.enabled) return gateway;
  const queue =
    options.queue ??
    (await openJobQueue(gateway.config, { onError: throttledWarning(gateway, 'job queue error') }));
  if (queue === undefined) {
    gateway.logger.warn(
      'jobs: storage.url has no job queue of its own; set storage.redis_url (or use sqlite://) to enable POST /v1/jobs',
    );
    return gateway;
  }
  const jobs = startJobs(gateway, queue, options);
  services.set(gateway, jobs);
  const closeGateway = gateway.close;
  gateway.close = async () => {
    try {
      await jobs.close();
    } finally {
      await closeGateway();
    }
  };
  return gateway;
}

/** A lost Redis reports every reconnection attempt: log the first, then one a minute with a count. */
function throttledWarning(gateway: Gateway, message: string): (error: unknown) => void {
  let last = 0;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < 60_000) {
      suppressed++;
      return;
    }
    gateway.logger.warn(message, { error, ...(suppressed > 0 ? { suppressed } : {}) });
    last = now;
    suppressed = 0;
  };
}
