/**
 * @module routing/strategies/direct
 * The request names one model: try that model (the executor picks its deployment). With a
 * budget, the model's estimated cost must fit it.
 */

import { GatewayError } from '../../core/errors.js';
import type { ModelEntry } from '../../registry/registry.js';
import type { RoutePlan } from '../plan.js';
import { contextFor, formatUsd, type PlanContext, type PlanStrategy } from './plan-context.js';
import { budgetExceeded } from './screen.js';

/** Throws MODEL_UNAVAILABLE when the model has no usable deployment. */
export function requireDeployed(model: ModelEntry): void {
  if (model.deployments.length === 0) {
    throw new GatewayError(
      'MODEL_UNAVAILABLE',
      `model ${model.name} is unavailable: ${model.unavailableReason}`,
      {
        details: { model: model.name, reason: model.unavailableReason },
      },
    );
  }
}

/** Plans one named model; `context` (optional) brings the budget check. */
export function planDirect(model: ModelEntry, route?: string, context?: PlanContext): RoutePlan {
  requireDeployed(model);
  let cost = '';
  if (context?.maxCostUsd !== undefined) {
    const estimate = context.costOf(model);
    if (estimate > context.maxCostUsd) {
      throw budgetExceeded(context, 'direct', { model: model.name, estimatedCostUsd: estimate });
    }
    cost = ` (${formatUsd(estimate)} est., max ${formatUsd(context.maxCostUsd)})`;
  }
  return {
    kind: 'sequence',
    strategy: 'direct',
    ...(route === undefined ? {} : { route }),
    attempts: [{ model: model.name, reason: 'named by the request' }],
    reason: `direct: ${model.name}${cost}`,
  };
}

/** As a Strategy: the route's `model`, else the request's preferred model, else the first candidate. */
export const direct: PlanStrategy = (request, candidates, snapshot, registry, given) => {
  const context = contextFor(request, candidates, snapshot, registry, given);
  const name = context.route?.model ?? context.preferred ?? candidates[0]?.name;
  const model = name === undefined ? undefined : registry.get(name);
  if (model === undefined) {
    throw new GatewayError('INVALID_REQUEST', 'direct: no model named', { details: { field: 'model' } });
  }
  return planDirect(model, undefined, context);
};
