/**
 * @module storage/memory/memory-job-queue
 * The JobQueue in process memory, for tests and `memory://`: the same semantics as the durable
 * backends (leases, fencing, backoff, dead letters) with nothing surviving a restart. Claims scan
 * every job — fine for the thousands a test or a single process holds, not for a backlog of
 * millions, which is what SQLite and Redis are for. Payloads and results are copied in and out
 * (structuredClone), so a caller can never change a stored job by mutating an object.
 */

import type { Job, JobCounts, JobError, JobQueue, JobQueueSettings, JobState } from '../job-ports.js';
import { afterFailure, leaseExpiredError, resolveJobSettings, validateNewJob } from '../job-rules.js';

export interface MemoryJobQueueOptions extends JobQueueSettings {
  now?: () => number;
}

interface Entry {
  seq: number;
  job: Job;
}

export function createMemoryJobQueue(options: MemoryJobQueueOptions = {}): JobQueue {
  const settings = resolveJobSettings(options);
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let seq = 0;
  let closed = false;

  function check(): void {
    if (closed) throw new Error('job queue is closed');
  }

  /** The state as callers see it: a queued job whose time has not come is delayed. */
  function view(job: Job, at: number): Job {
    const copy = structuredClone(job);
    if (copy.state === 'waiting' || copy.state === 'delayed') {
      copy.state = copy.runAt > at ? 'delayed' : 'waiting';
    }
    return copy;
  }

  function isQueued(job: Job): boolean {
    return job.state === 'waiting' || job.state === 'delayed';
  }

  /** Takes back jobs whose worker's lease ran out: requeued, or dead if out of attempts. */
  function expireLeases(at: number): void {
    for (const { job } of entries.values()) {
      if (job.state !== 'active' || (job.leaseUntil ?? 0) > at) continue;
      delete job.workerId;
      delete job.leaseUntil;
      job.updatedAt = at;
      if (job.attempts >= job.maxAttempts) {
        job.state = 'dead';
        job.error = leaseExpiredError(job.attempts);
        job.finishedAt = at;
      } else {
        job.state = 'waiting';
        job.runAt = at;
      }
    }
  }

  function held(id: string, workerId: string): Job | undefined {
    const job = entries.get(id)?.job;
    return job !== undefined && job.state === 'active' && job.workerId === workerId ? job : undefined;
  }

  return {
    backend: 'memory',

    async enqueue(input) {
      check();
      const at = now();
      const valid = validateNewJob(input, settings, at);
      if (entries.has(valid.id)) return valid.id;
      entries.set(valid.id, {
        seq: ++seq,
        job: {
          id: valid.id,
          kind: valid.kind,
          payload: structuredClone(valid.payload),
          priority: valid.priority,
          state: valid.runAt > at ? 'delayed' : 'waiting',
          attempts: 0,
          maxAttempts: valid.maxAttempts,
          createdAt: at,
          updatedAt: at,
          runAt: valid.runAt,
        },
      });
      return valid.id;
    },

    async claim(workerId, leaseMs) {
      check();
      const at = now();
      expireLeases(at);
      let best: Entry | undefined;
      for (const entry of entries.values()) {
        const { job } = entry;
        if (!isQueued(job) || job.runAt > at) continue;
        if (
          best === undefined ||
          job.priority > best.job.priority ||
          (job.priority === best.job.priority && entry.seq < best.seq)
        ) {
          best = entry;
        }
      }
      if (best === undefined) return undefined;
      const { job } = best;
      job.state = 'active';
      job.workerId = workerId;
      job.leaseUntil = at + leaseMs;
      job.attempts++;
      job.updatedAt = at;
      return view(job, at);
    },

    async renew(id, workerId, leaseMs) {
      check();
      const job = held(id, workerId);
      if (job === undefined) return false;
      job.leaseUntil = now() + leaseMs;
      return true;
    },

    async complete(id, workerId, result) {
      check();
      const job = held(id, workerId);
      if (job === undefined) return false;
      const at = now();
      job.state = 'completed';
      job.result = structuredClone(result);
      delete job.error;
      delete job.workerId;
      delete job.leaseUntil;
      job.finishedAt = at;
      job.updatedAt = at;
      return true;
    },

    async fail(id, workerId, error: JobError, retryAt) {
      check();
      const job = held(id, workerId);
      if (job === undefined) return undefined;
      const at = now();
      const outcome = afterFailure(job.attempts, job.maxAttempts, error, retryAt, at, settings);
      job.error = structuredClone(error);
      delete job.workerId;
      delete job.leaseUntil;
      job.updatedAt = at;
      if (outcome.state === 'dead') {
        job.state = 'dead';
        job.finishedAt = at;
      } else {
        job.state = 'delayed';
        job.runAt = outcome.runAt;
      }
      return outcome.state;
    },

    async get(id) {
      check();
      const job = entries.get(id)?.job;
      return job === undefined ? undefined : view(job, now());
    },

    async list(query = {}) {
      check();
      const at = now();
      const limit = Math.max(0, Math.floor(query.limit ?? 100));
      const out: Job[] = [];
      const all = [...entries.values()].sort((a, b) => b.seq - a.seq);
      for (const { job } of all) {
        if (out.length >= limit) break;
        const shown = view(job, at);
        if (query.state === undefined || shown.state === query.state) out.push(shown);
      }
      return out;
    },

    async counts() {
      check();
      const at = now();
      const counts: JobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, dead: 0 };
      for (const { job } of entries.values()) {
        const state: JobState = isQueued(job) ? (job.runAt > at ? 'delayed' : 'waiting') : job.state;
        counts[state]++;
      }
      return counts;
    },

    async retryDead(id) {
      check();
      const job = entries.get(id)?.job;
      if (job === undefined || job.state !== 'dead') return false;
      const at = now();
      job.state = 'waiting';
      job.attempts = 0;
      job.runAt = at;
      job.updatedAt = at;
      delete job.error;
      delete job.finishedAt;
      return true;
    },

    async close() {
      closed = true;
    },
  };
}
