/**
 * @module execution/load-balancer
 * Picks a deployment of a model for the next attempt: smooth weighted round-robin (the nginx
 * algorithm: even spread, each deployment gets its weight's share, no bursts), skipping
 * deployments this request already tried. (Latency-, load-, cost- and quota-aware policies plug
 * in here.)
 */

import type { Deployment, ModelEntry } from '../registry/registry.js';

export interface LoadBalancer {
  pick(model: ModelEntry, exclude: ReadonlySet<string>): Deployment | undefined;
}

export function createRoundRobinBalancer(): LoadBalancer {
  const current = new Map<string, number>();
  return {
    pick(model, exclude) {
      const deployments = model.deployments;
      if (deployments.length === 1) {
        const only = deployments[0]!;
        return exclude.has(only.id) ? undefined : only;
      }
      let total = 0;
      let best: Deployment | undefined;
      let bestWeight = Number.NEGATIVE_INFINITY;
      for (const deployment of deployments) {
        if (exclude.has(deployment.id) || deployment.weight <= 0) continue;
        const weight = (current.get(deployment.id) ?? 0) + deployment.weight;
        current.set(deployment.id, weight);
        total += deployment.weight;
        if (weight > bestWeight) {
          bestWeight = weight;
          best = deployment;
        }
      }
      if (best) current.set(best.id, bestWeight - total);
      return best;
    },
  };
}
