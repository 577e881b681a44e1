/**
 * @module execution/retry
 * When to try again and how long to wait. Backoff is full-jitter exponential (AWS's analysis:
 * it spreads retries best), an upstream's Retry-After wins when it fits in the deadline, and a
 * retry budget in the manner of Envoy and Finagle caps retries in flight at a share of the
 * requests in flight, so an outage cannot multiply the load on providers.
 */

export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 2,
  baseMs: 25,
  capMs: 250,
});

/**
 * Delay before retry number `retry` (1-based): uniform in [0, min(cap, base·2^(retry-1))], or
 * the upstream's requested wait when it gave one.
 */
export function backoffMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs;
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryBudget {
  /** A request started (counts towards the active total). */
  enter(): void;
  leave(): void;
  /** Takes a retry permit if retries in flight stay within the budget; false when spent. */
  tryAcquire(): boolean;
  /**
   * Waits up to `timeoutMs` for a permit (a burst of failures queues its retries instead of
   * dropping them, while retries in flight stay within the budget). False when none came.
   */
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  release(): void;
  readonly active: number;
  readonly retrying: number;
  /** Retries refused because the budget was spent, since start. */
  readonly refused: number;
}

/** At most `ratio` × active requests may be retrying at once, but never fewer than `minimum`. */
export function createRetryBudget(ratio = 0.2, minimum = 3): RetryBudget {
  let active = 0;
  let retrying = 0;
  let refused = 0;
  const waiters: (() => void)[] = [];
  const allowed = () => retrying < Math.max(minimum, Math.floor(active * ratio));
  return {
    enter() {
      active++;
    },
    leave() {
      active--;
    },
    tryAcquire() {
      if (allowed()) {
        retrying++;
        return true;
      }
      refused++;
      return false;
    },
    async acquire(timeoutMs, signal) {
      const deadline = Date.now() + timeoutMs;
      while (!allowed()) {
        const left = deadline - Date.now();
        if (left <= 0 || signal?.aborted) {
          refused++;
          return false;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, 50));
          function done() {
            clearTimeout(timer);
            const index = waiters.indexOf(done);
            if (index !== -1) waiters.splice(index, 1);
            resolve();
          }
          waiters.push(done);
        });
      }
      retrying++;
      return true;
    },
    release() {
      retrying--;
      waiters.shift()?.();
    },
    get active() {
      return active;
    },
    get retrying() {
      return retrying;
    },
    get refused() {
      return refused;
    },
  };
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
