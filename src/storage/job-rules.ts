/**
 * @module storage/job-rules
 * The rules every JobQueue implementation applies the same way, kept in one place so the
 * backends cannot drift: what a valid new job is, how long a retry backs off, and whether a
 * failed attempt retries or goes to the dead-letter state. Pure functions, no I/O.
 */

import { randomUUID } from 'node:crypto';
import {
  DEFAULT_JOB_BACKOFF_MS,
  DEFAULT_JOB_MAX_ATTEMPTS,
  DEFAULT_JOB_MAX_BACKOFF_MS,
  JOB_MAX_ATTEMPTS_LIMIT,
  JOB_PRIORITY_MAX,
  JOB_PRIORITY_MIN,
  type JobError,
  type JobQueueSettings,
  type NewJob,
} from './job-ports.js';

/** Settings with every default filled in. */
export interface ResolvedJobSettings {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export function resolveJobSettings(settings: JobQueueSettings = {}): ResolvedJobSettings {
  return {
    maxAttempts: settings.maxAttempts ?? DEFAULT_JOB_MAX_ATTEMPTS,
    backoffMs: settings.backoffMs ?? DEFAULT_JOB_BACKOFF_MS,
    maxBackoffMs: settings.maxBackoffMs ?? DEFAULT_JOB_MAX_BACKOFF_MS,
  };
}

/** A new job with defaults applied and every field checked. */
export interface ValidJob {
  id: string;
  kind: string;
  payload: unknown;
  priority: number;
  maxAttempts: number;
  runAt: number;
}

// Letters, digits and . _ - (no `:`, which BullMQ uses in its keys); not all digits, which
// BullMQ reserves for its own ids.
const JOB_ID = /^[A-Za-z0-9._-]{1,128}$/;
const ALL_DIGITS = /^[0-9]+$/;

export function newJobId(): string {
  return randomUUID();
}

/** Applies defaults and checks a job; throws a RangeError naming the bad field. */
export function validateNewJob(job: NewJob, settings: ResolvedJobSettings, now: number): ValidJob {
  const id = job.id ?? newJobId();
  if (!JOB_ID.test(id) || ALL_DIGITS.test(id)) {
    throw new RangeError('id: use 1 to 128 letters, digits, ".", "_" or "-", not only digits');
  }
  if (typeof job.kind !== 'string' || job.kind.length === 0 || job.kind.length > 64) {
    throw new RangeError('kind: expected a non-empty string of at most 64 characters');
  }
  const priority = job.priority ?? 0;
  if (!Number.isInteger(priority) || priority < JOB_PRIORITY_MIN || priority > JOB_PRIORITY_MAX) {
    throw new RangeError(`priority: expected an integer from ${JOB_PRIORITY_MIN} to ${JOB_PRIORITY_MAX}`);
  }
  const maxAttempts = job.maxAttempts ?? settings.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > JOB_MAX_ATTEMPTS_LIMIT) {
    throw new RangeError(`maxAttempts: expected an integer from 1 to ${JOB_MAX_ATTEMPTS_LIMIT}`);
  }
  const runAt = job.runAt ?? now;
  if (!Number.isFinite(runAt)) throw new RangeError('runAt: expected epoch milliseconds');
  return { id, kind: job.kind, payload: job.payload, priority, maxAttempts, runAt };
}

/** Backoff after the given (1-based) failed attempt: `backoffMs · 2^(attempt−1)`, capped. */
export function backoffDelayMs(attempt: number, settings: ResolvedJobSettings): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(settings.backoffMs * 2 ** exponent, settings.maxBackoffMs);
}

/** What a failed attempt leads to: a retry at `runAt`, or the dead-letter state. */
export type FailureOutcome = { state: 'delayed'; runAt: number } | { state: 'dead' };

export function afterFailure(
  attempts: number,
  maxAttempts: number,
  error: JobError,
  retryAt: number | undefined,
  now: number,
  settings: ResolvedJobSettings,
): FailureOutcome {
  if (error.retryable === false || attempts >= maxAttempts) return { state: 'dead' };
  const backoff = now + backoffDelayMs(attempts, settings);
  return { state: 'delayed', runAt: retryAt === undefined ? backoff : Math.max(retryAt, backoff) };
}

/** The error a job gets when its worker's lease ran out on its last attempt. */
export function leaseExpiredError(attempts: number): JobError {
  return {
    code: 'LEASE_EXPIRED',
    message: `the worker's lease ran out on each of ${attempts} attempt${attempts === 1 ? '' : 's'} (worker died or stalled)`,
    retryable: false,
  };
}

/** Reads a stored error back; anything malformed becomes a plain message. */
export function parseJobError(text: string | null | undefined): JobError | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'code' in value && 'message' in value) {
      const { code, message } = value as { code: unknown; message: unknown };
      if (typeof code === 'string' && typeof message === 'string') return value as JobError;
    }
  } catch {
    // Not ours (e.g. a BullMQ failure reason written by another tool): keep the text.
  }
  return { code: 'INTERNAL', message: text };
}
