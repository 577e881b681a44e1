/**
 * @module execution/health-checker
 * Optional active health checks: every interval, each deployment whose protocol offers a free
 * probe (e.g. `GET /models`) is asked whether it answers. `max_failures` failed probes in a row
 * open its circuit; a passing probe closes a circuit that probes opened. Passive outcomes (real
 * traffic) keep driving the breaker in between.
 */

import type { Deployment, Registry } from '../registry/registry.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { UpstreamClient } from './upstream-client.js';

export interface HealthCheckOptions {
  intervalMs: number;
  timeoutMs: number;
  maxFailures: number;
}

export interface ProbeResult {
  deployment: string;
  healthy: boolean;
  consecutiveFailures: number;
  checkedAt: number;
  detail: string;
}

export interface HealthChecker {
  /** Runs one round now (tests, and the first round at start). */
  runOnce(): Promise<void>;
  results(): ProbeResult[];
  stop(): void;
}

export function startHealthChecker(
  registry: Registry,
  client: UpstreamClient,
  breakers: CircuitBreakers,
  options: HealthCheckOptions,
): HealthChecker {
  const results = new Map<string, ProbeResult>();
  const probe = async (deployment: Deployment): Promise<void> => {
    const build = deployment.adapter.buildProbeRequest;
    if (!build) return;
    const previous = results.get(deployment.id);
    let healthy = false;
    let detail: string;
    try {
      const response = await client.send(build(deployment.target), {
        signal: AbortSignal.timeout(options.timeoutMs),
        headersTimeoutMs: options.timeoutMs,
        bodyTimeoutMs: options.timeoutMs,
        connectionLimit: deployment.connectionLimit,
      });
      await response.body.dump();
      // Any answer below 500 (even a 404 for a path the server lacks) shows it is up.
      healthy = response.statusCode < 500;
      detail = `HTTP ${response.statusCode}`;
    } catch (error) {
      detail = (error as { code?: string }).code ?? (error as Error).name ?? 'probe failed';
    }
    const consecutiveFailures = healthy ? 0 : (previous?.consecutiveFailures ?? 0) + 1;
    results.set(deployment.id, {
      deployment: deployment.id,
      healthy,
      consecutiveFailures,
      checkedAt: Date.now(),
      detail,
    });
    const breaker = breakers.get(deployment.id);
    if (!healthy && consecutiveFailures >= options.maxFailures) {
      breaker.force('open', `health check failed ${consecutiveFailures} times (${detail})`);
    } else if (healthy && previous && previous.consecutiveFailures >= options.maxFailures) {
      breaker.force('closed', 'health check passed');
    }
  };
  const runOnce = async () => {
    await Promise.all(registry.deployments().map(probe));
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runOnce().finally(() => {
      running = false;
    });
  }, options.intervalMs);
  timer.unref();
  return { runOnce, results: () => [...results.values()], stop: () => clearInterval(timer) };
}
