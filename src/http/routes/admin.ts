/**
 * @module http/routes/admin
 * Operator views of the execution engine: `GET /admin/circuits` (every deployment's breaker,
 * with window counts and the last transition and why — and which replica, when another replica's
 * breaker caused it) and `GET /admin/queue` (requests waiting
 * for a free slot, the retry budget, attempts in flight, and the job queue's counts).
 */

import { type Jobs, jobsOf } from '../../jobs/jobs.js';
import type { HttpContext } from '../context.js';
import { sendJson } from '../respond.js';

export function circuits(http: HttpContext): void {
  const { gateway } = http;
  sendJson(http.res, 200, {
    circuits: gateway.circuits().map((c) => ({
      deployment: c.deployment,
      state: c.state,
      window_calls: c.windowCalls,
      window_failures: c.windowFailures,
      consecutive_failures: c.consecutiveFailures,
      openings: c.openings,
      open_until: c.openUntil === null ? null : new Date(c.openUntil).toISOString(),
      last_transition: c.lastTransition
        ? {
            from: c.lastTransition.from,
            to: c.lastTransition.to,
            at: new Date(c.lastTransition.at).toISOString(),
            reason: c.lastTransition.reason,
            // The replica whose breaker caused it; null when this replica's own breaker decided.
            replica: c.lastTransition.replica ?? null,
          }
        : null,
      // Set while the circuit is open because another replica's opened (it then probes on its own).
      remote: c.remote
        ? { replica: c.remote.replica, reason: c.remote.reason, at: new Date(c.remote.at).toISOString() }
        : null,
    })),
    probes: gateway.probes(),
  });
}

export async function queue(http: HttpContext): Promise<void> {
  const { gateway } = http;
  const snapshot = gateway.queue();
  const jobs = await jobCounts(jobsOf(gateway));
  sendJson(http.res, 200, {
    depth: snapshot.depth,
    retry_budget: snapshot.retryBudget,
    waiting: snapshot.models.map((m) => ({
      model: m.key,
      waiting: m.waiting,
      oldest_wait_ms: m.oldestWaitMs,
    })),
    in_flight: Object.fromEntries(gateway.registry.deployments().map((d) => [d.id, gateway.inFlight(d.id)])),
    jobs,
  });
}

/** The job queue's counts (null without one); an unreachable queue says so instead of failing the view. */
async function jobCounts(jobs: Jobs | undefined): Promise<Record<string, unknown> | null> {
  if (jobs === undefined) return null;
  const running_here = jobs.worker?.running() ?? 0;
  try {
    return { backend: jobs.queue.backend, ...(await jobs.queue.counts()), running_here };
  } catch {
    return { backend: jobs.queue.backend, error: 'the job queue is unreachable', running_here };
  }
}
