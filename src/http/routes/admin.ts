/**
 * @module http/routes/admin
 * Operator views of the execution engine: `GET /admin/circuits` (every deployment's breaker,
 * with window counts and the last transition and why) and `GET /admin/queue` (requests waiting
 * for a free slot, the retry budget, and attempts in flight).
 */

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
          }
        : null,
    })),
    probes: gateway.probes(),
  });
}

export function queue(http: HttpContext): void {
  const { gateway } = http;
  const snapshot = gateway.queue();
  sendJson(http.res, 200, {
    depth: snapshot.depth,
    retry_budget: snapshot.retryBudget,
    waiting: snapshot.models.map((m) => ({
      model: m.key,
      waiting: m.waiting,
      oldest_wait_ms: m.oldestWaitMs,
    })),
    in_flight: Object.fromEntries(gateway.registry.deployments().map((d) => [d.id, gateway.inFlight(d.id)])),
  });
}
