/**
 * @module routing/strategies/balanced
 * The model with the best trade-off: utility = w_quality·quality − w_cost·cost − w_latency·latency,
 * each term normalised over the candidates that fit (quality and latency min–max; cost min–max on
 * a log scale, since prices span two orders of magnitude and a linear scale would make every
 * mid-priced model look as dear as the dearest). Latency is the live figure from the snapshot,
 * else the configured one; unknown latencies count as the median. Weights come from the route's
 * `weights: {quality, cost, latency}`; the defaults weigh quality and cost equally.
 */

import type { RouteConfig } from '../../config/schema.js';
import { GatewayError } from '../../core/errors.js';
import { contextFor, describeRequest, formatUsd, type PlanStrategy } from './plan-context.js';
import { describeSkips, nothingFits, screen } from './screen.js';

export interface BalancedWeights {
  quality: number;
  cost: number;
  latency: number;
}

export const DEFAULT_BALANCED_WEIGHTS: Readonly<BalancedWeights> = { quality: 1, cost: 1, latency: 0.25 };

/** The weights of a route, checked: only `quality`, `cost` and `latency`, none negative. */
export function balancedWeights(route: RouteConfig | undefined, where = 'weights'): BalancedWeights {
  const weights = { ...DEFAULT_BALANCED_WEIGHTS };
  for (const [key, value] of Object.entries(route?.weights ?? {})) {
    if (key !== 'quality' && key !== 'cost' && key !== 'latency') {
      throw new GatewayError('INVALID_REQUEST', `${where}.${key}: balanced weighs quality, cost and latency`);
    }
    if (!(value >= 0)) throw new GatewayError('INVALID_REQUEST', `${where}.${key}: must be >= 0`);
    weights[key] = value;
  }
  return weights;
}

function normaliser(values: readonly number[]): (value: number) => number {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  return span > 0 ? (v) => (v - min) / span : () => 0;
}

export const balanced: PlanStrategy = (request, candidates, snapshot, registry, given) => {
  const context = contextFor(request, candidates, snapshot, registry, given);
  const screened = screen(context);
  if (screened.fit.length === 0) throw nothingFits(context, screened, 'balanced');
  const weights = balancedWeights(context.route);
  const { fit, cost } = screened;
  const models = context.set.models;
  const qualities = Array.from(fit, (i) => context.quality(i));
  // A free model (simulator, local) would be log(0); one nanodollar keeps the scale finite.
  const logCosts = Array.from(cost, (c) => Math.log(c + 1e-9));
  const latencies = Array.from(fit, (i) => snapshot.latencyMs?.get(models[i]!.name) ?? models[i]!.latencyMs);
  const known = latencies.filter((l): l is number => l !== undefined).sort((a, b) => a - b);
  const median = known.length === 0 ? 0 : known[Math.floor(known.length / 2)]!;
  const filled = latencies.map((l) => l ?? median);
  const q = normaliser(qualities);
  const c = normaliser(logCosts);
  const l = normaliser(filled);
  let best = 0;
  let bestUtility = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < fit.length; k++) {
    const utility =
      weights.quality * q(qualities[k]!) - weights.cost * c(logCosts[k]!) - weights.latency * l(filled[k]!);
    if (
      utility > bestUtility ||
      (utility === bestUtility &&
        (cost[k]! < cost[best]! ||
          (cost[k] === cost[best] && models[fit[k]!]!.name < models[fit[best]!]!.name)))
    ) {
      best = k;
      bestUtility = utility;
    }
  }
  const name = models[fit[best]!]!.name;
  const latency = latencies[best] === undefined ? 'latency unknown' : `${Math.round(latencies[best]!)} ms`;
  const skipped = describeSkips(screened.skips, context.need());
  return {
    kind: 'sequence',
    strategy: 'balanced',
    attempts: [{ model: name, reason: `best utility ${bestUtility.toFixed(3)}` }],
    reason:
      `balanced (quality ${weights.quality}, cost ${weights.cost}, latency ${weights.latency}): ` +
      `${describeRequest(context)} → ${name} (utility ${bestUtility.toFixed(3)}: quality ${qualities[best]!.toFixed(3)}, ` +
      `${formatUsd(cost[best]!)} est., ${latency}); ${fit.length} fit${skipped === '' ? '' : `; ${skipped}`}`,
  };
};
