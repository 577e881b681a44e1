/**
 * @module jobs/open-job-queue
 * The job queue the config names: BullMQ on `storage.redis_url` when it is set (replicas share
 * it), else the embedded SQLite queue in the ledger's database file (`sqlite://PATH`), else the
 * in-memory one (`memory://`). BullMQ is loaded only when used, so a gateway without Redis
 * never loads it. A storage URL with no job backend of its own (PostgreSQL without Redis)
 * gets no queue, and the caller says so.
 */

import type { Config } from '../config/schema.js';
import type { JobQueue, JobQueueSettings } from '../storage/job-ports.js';
import { createMemoryJobQueue } from '../storage/memory/memory-job-queue.js';
import { createSqliteJobQueue } from '../storage/sqlite/sqlite-job-queue.js';

export interface OpenJobQueueOptions {
  /** Told about background errors of the Redis queue. */
  onError?: (error: unknown) => void;
}

export async function openJobQueue(
  config: Config,
  options: OpenJobQueueOptions = {},
): Promise<JobQueue | undefined> {
  const jobs = config.jobs;
  const settings: JobQueueSettings = { maxAttempts: jobs.max_attempts, backoffMs: jobs.backoff_ms };
  const redisUrl = config.storage.redis_url;
  if (redisUrl !== undefined && redisUrl !== '') {
    const { createBullmqJobQueue } = await import('../storage/redis/bullmq-job-queue.js');
    return createBullmqJobQueue({
      url: redisUrl,
      ...settings,
      // A lapsed lease is noticed within two checks; keep that well under the lease itself.
      stalledIntervalMs: Math.min(30_000, Math.max(100, Math.floor(jobs.visibility_timeout_ms / 2))),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
  }
  const url = config.storage.url;
  if (url === 'memory://' || url === 'memory') return createMemoryJobQueue(settings);
  if (url.startsWith('sqlite://')) {
    return createSqliteJobQueue({ path: url.slice('sqlite://'.length) || './switchyard.db', ...settings });
  }
  return undefined;
}
