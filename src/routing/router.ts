/**
 * @module routing/router
 * Resolves what the request's `model` names — a model, a route, or `auto` — into a RoutePlan.
 * Pure: reads the registry and the snapshot, does no I/O. Strategies that are not part of this
 * build are refused with a clear error instead of being silently replaced by another.
 */

import type { RoutingOptions } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { ModelEntry, Registry } from '../registry/registry.js';
import type { RoutePlan, RoutingSnapshot } from './plan.js';
import { planCheapest } from './strategies/cheapest.js';
import { planDirect } from './strategies/direct.js';

export type Operation = 'chat' | 'embeddings';

export interface PlanInput {
  model: string;
  routing?: RoutingOptions;
  operation?: Operation;
}

export interface Router {
  plan(request: PlanInput, snapshot?: RoutingSnapshot): RoutePlan;
}

const AVAILABLE = new Set(['direct', 'cheapest']);

function unavailableStrategy(strategy: string, field: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `strategy ${strategy} is not available in this build`, {
    details: { field, available: [...AVAILABLE] },
  });
}

function checkOperation(model: ModelEntry, operation: Operation): void {
  const serves =
    model.capabilities.has('embeddings') && !model.capabilities.has('chat') ? 'embeddings' : 'chat';
  if (operation === 'embeddings' && !model.capabilities.has('embeddings')) {
    throw new GatewayError('INVALID_REQUEST', `model ${model.name} does not serve embeddings`, {
      details: { field: 'model' },
    });
  }
  if (operation === 'chat' && serves === 'embeddings') {
    throw new GatewayError(
      'INVALID_REQUEST',
      `model ${model.name} is an embeddings model; use /v1/embeddings`,
      {
        details: { field: 'model' },
      },
    );
  }
}

export function createRouter(registry: Registry): Router {
  const all = [...registry.models.values()];
  return {
    plan(request) {
      const operation = request.operation ?? 'chat';
      const requested = request.routing?.strategy;
      const model = registry.get(request.model);
      if (model) {
        if (requested !== undefined && requested !== 'direct')
          throw unavailableStrategy(requested, 'strategy');
        checkOperation(model, operation);
        return planDirect(model);
      }
      const route = registry.routes.get(request.model);
      if (route) {
        const plan = planRoute(route);
        if (route.hedge_after_ms !== undefined && plan.kind === 'sequence')
          plan.hedgeAfterMs = route.hedge_after_ms;
        return plan;
      }
      if (request.model === 'auto') {
        const strategy = requested ?? 'cheapest';
        if (strategy !== 'cheapest') throw unavailableStrategy(strategy, 'strategy');
        return planCheapest(all, { capability: operation });
      }
      throw new GatewayError('NOT_FOUND', `unknown model or route: ${request.model}`, {
        details: { field: 'model', hint: 'GET /v1/models lists what this gateway serves' },
      });

      function planRoute(route: NonNullable<ReturnType<typeof registry.routes.get>>): RoutePlan {
        if (!AVAILABLE.has(route.strategy)) throw unavailableStrategy(route.strategy, 'model');
        if (route.strategy === 'direct' && route.model !== undefined) {
          const target = registry.get(route.model);
          if (target) {
            checkOperation(target, operation);
            return planDirect(target, request.model);
          }
        }
        const candidates = route.models ? all.filter((m) => route.models?.includes(m.name)) : all;
        return planCheapest(candidates, { capability: operation }, request.model);
      }
    },
  };
}
