/**
 * @module routing/strategies/direct
 * The request names one model: try that model (the executor picks its deployment).
 */

import { GatewayError } from '../../core/errors.js';
import type { ModelEntry } from '../../registry/registry.js';
import type { RoutePlan } from '../plan.js';

export function planDirect(model: ModelEntry, route?: string): RoutePlan {
  if (model.deployments.length === 0) {
    throw new GatewayError(
      'MODEL_UNAVAILABLE',
      `model ${model.name} is unavailable: ${model.unavailableReason}`,
      {
        details: { model: model.name, reason: model.unavailableReason },
      },
    );
  }
  return {
    kind: 'sequence',
    strategy: 'direct',
    ...(route === undefined ? {} : { route }),
    attempts: [{ model: model.name, reason: 'named by the request' }],
    reason: `direct: ${model.name}`,
  };
}
