/**
 * @module jobs/job-error
 * What a failed job attempt leaves behind, and whether the job is worth another attempt later.
 * A job retries later, so it is more patient than a live request: besides the errors the table
 * calls retryable, a ROUTE_EXHAUSTED whose every attempt failed for a passing reason (upstream
 * 5xx, timeouts, open circuits) is retried too; anything the caller must fix (a bad request,
 * a refused key, an exhausted budget) or an internal error is dead at once.
 */

import { ERROR_TABLE, type ErrorCode, isGatewayError } from '../core/errors.js';
import type { JobError } from '../storage/job-ports.js';

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code);
}

/** A 4xx other than timeout and too-many-requests is the request's fault, not the moment's. */
function isClientStatus(status: unknown): boolean {
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Whether a job that failed with this error should be tried again later. */
export function isRetryableForJob(error: unknown): boolean {
  if (!isGatewayError(error)) return false;
  if (error.retryable) return true;
  if (error.code !== 'ROUTE_EXHAUSTED') return false;
  const attempts = error.details?.attempts;
  if (!Array.isArray(attempts)) return true;
  // Nothing attempted (every deployment skipped: circuits open, at capacity) passes with time.
  return attempts.every((attempt: unknown) => {
    if (typeof attempt !== 'object' || attempt === null) return false;
    const { code, status } = attempt as { code?: unknown; status?: unknown };
    return isErrorCode(code) && ERROR_TABLE[code].retryable && !isClientStatus(status);
  });
}

/**
 * The stored form of an error. `scrub` cleans what leaves the process (the gateway's redactor);
 * an error that is not a GatewayError is INTERNAL and its text is not kept, as on the wire.
 */
export function toJobError(error: unknown, scrub: (value: unknown) => unknown = (value) => value): JobError {
  if (!isGatewayError(error)) {
    return { code: 'INTERNAL', message: 'internal error', retryable: false, status: 500 };
  }
  const out: JobError = {
    code: error.code,
    message: String(scrub(error.message)),
    retryable: isRetryableForJob(error),
    status: error.status,
  };
  if (error.details !== undefined) out.details = scrub(error.details) as Record<string, unknown>;
  return out;
}
