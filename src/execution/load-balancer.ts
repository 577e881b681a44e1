/**
 * @module execution/load-balancer
 * Picks one of a model's eligible deployments for the next attempt (the executor has already
 * removed deployments with an open circuit, an exhausted quota, or that this request tried).
 * Policies:
 * - `round-robin`: each in turn; `weighted`: smooth weighted round-robin (nginx: an even spread,
 *   each gets its weight's share, no bursts);
 * - `least-busy`: fewest attempts in flight relative to weight;
 * - `lowest-latency`: power of two choices over peak-EWMA latency × (in flight + 1) (Finagle's
 *   aperture-less P2C), with untried deployments tried first;
 * - `lowest-cost`: cheapest deployment prices first, ties by weight;
 * - `quota-aware`: the deployment furthest from its RPM/TPM/RPD/TPD limits (how the gateway
 *   stays within free tiers).
 */

import type { Deployment } from '../registry/registry.js';
import type { DeploymentStats } from './deployment-stats.js';

export const BALANCING_POLICIES = [
  'round-robin',
  'weighted',
  'least-busy',
  'lowest-latency',
  'lowest-cost',
  'quota-aware',
] as const;
export type BalancingPolicy = (typeof BALANCING_POLICIES)[number];

export interface LoadBalancer {
  /** `eligible` is never empty; `key` identifies the model (cursor state is per model). */
  pick(key: string, eligible: readonly Deployment[], expectedTokens: number): Deployment;
}

export interface BalancerOptions {
  stats: DeploymentStats;
  random?: () => number;
  /** Blended price of a deployment in USD per million tokens. */
  priceOf?: (deployment: Deployment) => number;
}

export function createLoadBalancer(policy: BalancingPolicy, options: BalancerOptions): LoadBalancer {
  const random = options.random ?? Math.random;
  const { stats } = options;
  const cursors = new Map<string, number>();
  const current = new Map<string, number>();

  const weighted = (eligible: readonly Deployment[], useWeights: boolean): Deployment => {
    let total = 0;
    let best: Deployment | undefined;
    let bestWeight = Number.NEGATIVE_INFINITY;
    for (const deployment of eligible) {
      const w = useWeights ? Math.max(deployment.weight, 0) : 1;
      const value = (current.get(deployment.id) ?? 0) + w;
      current.set(deployment.id, value);
      total += w;
      if (value > bestWeight) {
        bestWeight = value;
        best = deployment;
      }
    }
    const chosen = best ?? eligible[0]!;
    current.set(chosen.id, bestWeight - total);
    return chosen;
  };

  const lowest = (eligible: readonly Deployment[], cost: (d: Deployment) => number): Deployment => {
    let best = eligible[0]!;
    let bestCost = cost(best);
    for (let i = 1; i < eligible.length; i++) {
      const candidate = eligible[i]!;
      const c = cost(candidate);
      if (c < bestCost || (c === bestCost && candidate.weight > best.weight)) {
        best = candidate;
        bestCost = c;
      }
    }
    return best;
  };

  return {
    pick(key, eligible, expectedTokens) {
      if (eligible.length === 1) return eligible[0]!;
      switch (policy) {
        case 'round-robin': {
          const cursor = cursors.get(key) ?? 0;
          cursors.set(key, cursor + 1);
          return eligible[cursor % eligible.length]!;
        }
        case 'weighted':
          return weighted(eligible, true);
        case 'least-busy':
          return lowest(eligible, (d) => (stats.inFlight(d.id) + 1) / Math.max(d.weight, 1e-9));
        case 'lowest-latency': {
          const untried = eligible.filter((d) => stats.latency(d.id) === undefined);
          if (untried.length > 0) return untried[Math.floor(random() * untried.length)]!;
          const i = Math.floor(random() * eligible.length);
          let j = Math.floor(random() * (eligible.length - 1));
          if (j >= i) j++;
          const a = eligible[i]!;
          const b = eligible[j]!;
          const cost = (d: Deployment) => (stats.latency(d.id) ?? 0) * (stats.inFlight(d.id) + 1);
          return cost(b) < cost(a) ? b : a;
        }
        case 'lowest-cost':
          return lowest(eligible, (d) => options.priceOf?.(d) ?? 0);
        case 'quota-aware':
          return lowest(eligible, (d) => -stats.headroom(d, expectedTokens));
      }
    },
  };
}
