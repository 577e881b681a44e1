/**
 * @module gateway/execution-runtime
 * The execution state that outlives a configuration reload: the connection pools to providers,
 * one circuit breaker and one set of live figures (attempts in flight, latency, quota use) per
 * deployment, the queues of requests waiting for a slot, and the set of open circuits routing
 * consults. A reload builds a new registry, router and executor around the same runtime, so
 * a deployment that is still configured keeps its breaker and its statistics, and requests
 * started before the reload share them with those started after.
 */

import type { Config } from '../config/schema.js';
import {
  type CircuitBreakers,
  type CircuitOptions,
  createCircuitBreakers,
  type Transition,
} from '../execution/circuit-breaker.js';
import { createDeploymentStats, type DeploymentStats } from '../execution/deployment-stats.js';
import { createPriorityQueues, type PriorityQueues } from '../execution/priority-queue.js';
import { createUpstreamClient, type UpstreamClient } from '../execution/upstream-client.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface ExecutionRuntime {
  readonly client: UpstreamClient;
  readonly breakers: CircuitBreakers;
  readonly stats: DeploymentStats;
  readonly queues: PriorityQueues;
  /** Deployments whose circuit is open, kept current by the breakers' transitions. */
  readonly openCircuits: Set<string>;
  /** Adopts a reloaded configuration: breaker settings, and forgets deployments no longer configured. */
  configure(config: Config, deployments: readonly string[]): void;
  /** Told about every circuit transition, after metrics and logs; returns the unsubscribe. */
  onTransition(listener: (transition: Transition) => void): () => void;
  close(): Promise<void>;
}

export function circuitOptionsOf(config: Config): CircuitOptions {
  const breaker = config.execution.circuit_breaker;
  return {
    failureRate: breaker.failure_rate,
    windowMs: breaker.window_ms,
    minCalls: breaker.min_calls,
    consecutiveFailures: breaker.consecutive_failures,
    openMs: breaker.open_ms,
    maxOpenMs: breaker.max_open_ms,
    halfOpenProbes: breaker.half_open_probes,
    probeTimeoutMs: breaker.probe_timeout_ms,
  };
}

export function createExecutionRuntime(
  config: Config,
  services: { metrics: Metrics; logger: Logger },
): ExecutionRuntime {
  const { metrics, logger } = services;
  const openCircuits = new Set<string>();
  const listeners = new Set<(transition: Transition) => void>();
  const breakers = createCircuitBreakers(circuitOptionsOf(config), (transition) => {
    if (transition.to === 'open') openCircuits.add(transition.deployment);
    else openCircuits.delete(transition.deployment);
    metrics.setCircuitState(transition.deployment, transition.to);
    const log = transition.to === 'open' ? logger.warn : logger.info;
    log.call(logger, `circuit ${transition.to}`, { ...transition });
    for (const listener of listeners) {
      try {
        listener(transition);
      } catch (error) {
        logger.error('circuit transition listener failed', { error });
      }
    }
  });
  const client = createUpstreamClient();
  return {
    client,
    breakers,
    stats: createDeploymentStats(),
    queues: createPriorityQueues((depth) => metrics.setQueueDepth(depth)),
    openCircuits,
    configure(next, deployments) {
      breakers.configure(circuitOptionsOf(next));
      breakers.retain(deployments);
      const kept = new Set(deployments);
      for (const id of openCircuits) if (!kept.has(id)) openCircuits.delete(id);
    },
    onTransition(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => client.close(),
  };
}
