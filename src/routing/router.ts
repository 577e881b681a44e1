/**
 * @module routing/router
 * Resolves what the request's `model` names into a RoutePlan. A model name plans `direct` —
 * unless the request asks for a strategy (header or body), then that strategy runs with the
 * named model first. A route name runs the route's strategy with its settings; the request may
 * tighten the budget, set the chain, the ensemble size, the escalation threshold, the task and
 * the tier, or ask for another strategy over the route's models. `auto` runs the request's
 * strategy, `cheapest` by default. Pure: reads the registry and the snapshot, does no I/O.
 * Everything that can be computed once per registry (candidate lists laid out for screening,
 * compiled rule conditions, checked route settings, what each route's strategy is handed) is
 * computed in `createRouter`; a config reload builds a new registry and router, so none of it
 * outlives the configuration it came from.
 */

import { ConfigError } from '../config/load.js';
import { type RouteConfig, STRATEGIES } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { ModelEntry, Registry } from '../registry/registry.js';
import type { RoutePlan, RoutingSnapshot } from './plan.js';
import { balancedWeights } from './strategies/balanced.js';
import { candidateSet } from './strategies/candidate-set.js';
import { type CustomRouter, planCustom } from './strategies/custom.js';
import { planDirect } from './strategies/direct.js';
import { type BuiltInStrategyName, createStrategies, type StrategyName } from './strategies/index.js';
import {
  createPlanContext,
  formatUsd,
  type Operation,
  type PlanContext,
  type PlanContextExtras,
  type PlanRequest,
  resolveStrategyOptions,
  type StrategyOptions,
} from './strategies/plan-context.js';
import { routerTargets } from './strategies/router-model.js';
import { compileGlobalRules, compileRouteRules } from './strategies/rules.js';

export type { Operation, StrategyName };

/** A ChatRequest, an embeddings request with `operation: 'embeddings'`, or just `{model}`. */
export type PlanInput = PlanRequest;

export interface Router {
  /**
   * `stickyKey` is who the request comes from (the gateway passes the virtual key id), for sticky
   * A/B assignment: as `request.stickyKey` — which wins when the request has its own — without a
   * copy of the request to carry it.
   */
  plan(request: PlanInput, snapshot?: RoutingSnapshot, stickyKey?: string): RoutePlan;
}

export interface RouterOptions {
  /** Custom routers by route name, from `loadCustomRouters(config)`. */
  customRouters?: ReadonlyMap<string, CustomRouter>;
  /** Strategy knobs (quality tolerance, chain length, ensemble size, expected output per tier). */
  strategies?: StrategyOptions;
}

const STRATEGY_NAMES: ReadonlySet<string> = new Set(STRATEGIES);
/** Strategies that only make sense with a route's settings. */
const ROUTE_ONLY: ReadonlySet<string> = new Set(['ab', 'router-model', 'custom']);
const EMPTY_SNAPSHOT: RoutingSnapshot = {};

function isStrategy(name: string): name is StrategyName {
  return STRATEGY_NAMES.has(name);
}

function unknownStrategy(strategy: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unknown strategy ${strategy}`, {
    details: { field: 'strategy', available: [...STRATEGIES] },
  });
}

function needsRoute(strategy: string, what: string): GatewayError {
  return new GatewayError(
    'INVALID_REQUEST',
    `strategy ${strategy} needs a route (${what}); name one as the model`,
    {
      details: { field: 'strategy' },
    },
  );
}

function servesEmbeddingsOnly(model: ModelEntry): boolean {
  return model.capabilities.has('embeddings') && !model.capabilities.has('chat');
}

function checkOperation(model: ModelEntry, operation: Operation): void {
  if (operation === 'embeddings' && !model.capabilities.has('embeddings')) {
    throw new GatewayError('INVALID_REQUEST', `model ${model.name} does not serve embeddings`, {
      details: { field: 'model' },
    });
  }
  if (operation === 'chat' && servesEmbeddingsOnly(model)) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `model ${model.name} is an embeddings model; use /v1/embeddings`,
      {
        details: { field: 'model' },
      },
    );
  }
}

/** Checks every route's strategy settings once; problems are config errors naming the path. */
function checkRoutes(registry: Registry): void {
  const problems: string[] = [];
  const attempt = (check: () => void) => {
    try {
      check();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  };
  attempt(() => compileGlobalRules(registry.routingRules));
  for (const [name, route] of registry.routes) {
    const where = `routes.${name}`;
    if (route.strategy === 'rules') attempt(() => compileRouteRules(route, name));
    if (route.strategy === 'balanced') attempt(() => balancedWeights(route, `${where}.weights`));
    if (route.strategy === 'router-model') {
      attempt(() => routerTargets(route, where));
      if (route.model === undefined) problems.push(`${where}.model: router-model needs a classifier model`);
    }
    if (route.strategy === 'ab' && (route.variants === undefined || route.variants.length === 0)) {
      problems.push(`${where}.variants: an ab route needs variants`);
    }
    if (route.strategy === 'custom' && route.module === undefined) {
      problems.push(`${where}.module: a custom route needs a module`);
    }
  }
  if (problems.length > 0) throw new ConfigError('routes', problems);
}

export function createRouter(registry: Registry, options: RouterOptions = {}): Router {
  checkRoutes(registry);
  const strategyOptions = resolveStrategyOptions(options.strategies);
  const customRouters = options.customRouters ?? new Map<string, CustomRouter>();
  const all = [...registry.models.values()];
  const chatModels = all.filter((m) => !servesEmbeddingsOnly(m));
  const embeddingModels = all.filter((m) => m.capabilities.has('embeddings'));
  const routeModels = new Map<string, ModelEntry[]>();
  for (const [name, route] of registry.routes) {
    if (route.models === undefined) continue;
    const listed = route.models.map((m) => registry.get(m)).filter((m): m is ModelEntry => m !== undefined);
    routeModels.set(name, listed);
    candidateSet(listed);
  }
  // Laid out now, so the first request does not pay for it.
  candidateSet(chatModels);
  candidateSet(embeddingModels);
  // What a route's own strategy is given besides the request, made once: a plan only looks it up.
  const routeExtras = new Map<string, PlanContextExtras>();
  for (const [name, route] of registry.routes) {
    routeExtras.set(name, Object.freeze({ route, routeName: name, options: strategyOptions }));
  }

  // Knobs reach the strategies through the plan context (`options: strategyOptions`).
  const table = createStrategies();

  function poolFor(operation: Operation): ModelEntry[] {
    return operation === 'embeddings' ? embeddingModels : chatModels;
  }

  /**
   * The context of a plan, sticking by `stickyKey` unless the request has a key of its own: a
   * copy `{ stickyKey, ...request }` decided it that way, and cost ~0.15–0.3 µs a plan (measured),
   * mostly in every later read of the copy's properties.
   */
  function contextFor(
    input: PlanInput,
    candidates: readonly ModelEntry[],
    snapshot: RoutingSnapshot,
    extras: PlanContextExtras,
    stickyKey: string | undefined,
  ): PlanContext {
    const context = createPlanContext(input, candidates, snapshot, registry, extras);
    if (stickyKey !== undefined && !Object.hasOwn(input, 'stickyKey')) context.stickyKey = stickyKey;
    return context;
  }

  function run(strategy: BuiltInStrategyName, context: PlanContext): RoutePlan {
    const plan = table[strategy](context.request, context.set.models, context.snapshot, registry, context);
    return context.preferred === undefined || strategy === 'fallback' || strategy === 'ensemble'
      ? plan
      : withPreferred(plan, context);
  }

  function planRoute(
    name: string,
    route: RouteConfig,
    input: PlanInput,
    snapshot: RoutingSnapshot,
    stickyKey: string | undefined,
  ): RoutePlan {
    const operation = input.operation ?? 'chat';
    const requested = input.routing?.strategy;
    const strategy = requested !== undefined && isStrategy(requested) ? requested : route.strategy;
    if (strategy === 'direct' && route.model !== undefined) {
      const target = registry.get(route.model);
      if (target === undefined) {
        throw new GatewayError('MODEL_UNAVAILABLE', `route ${name} names an unknown model ${route.model}`);
      }
      checkOperation(target, operation);
      const needsBudget = input.routing?.maxCostUsd !== undefined || route.max_cost_usd !== undefined;
      const context = needsBudget
        ? createPlanContext(input, poolFor(operation), snapshot, registry, { route, routeName: name })
        : undefined;
      return planDirect(target, name, context);
    }
    if (strategy === 'custom') {
      if (route.strategy !== 'custom') throw needsRoute('custom', 'one with a module');
      const router = customRouters.get(name);
      if (router === undefined) {
        throw new GatewayError('MODEL_UNAVAILABLE', `custom router of route ${name} is not loaded`, {
          details: { route: name, hint: 'the gateway loads custom routers at start (loadCustomRouters)' },
        });
      }
      const candidates = routeModels.get(name) ?? poolFor(operation);
      // A custom router reads the request itself: it gets the key in it, as it always has.
      const request = stickyKey === undefined ? input : { stickyKey, ...input };
      return planCustom(router, name, request, candidates, snapshot, registry);
    }
    // Asked for another strategy than the route's: the route's own model (if any) goes first.
    const preferred = strategy !== route.strategy ? route.model : undefined;
    const extras =
      preferred === undefined
        ? (routeExtras.get(name) ?? { route, routeName: name, options: strategyOptions })
        : { route, routeName: name, options: strategyOptions, preferred };
    const context = contextFor(
      input,
      routeModels.get(name) ?? poolFor(operation),
      snapshot,
      extras,
      stickyKey,
    );
    return run(strategy, context);
  }

  return {
    plan(input, snapshot = EMPTY_SNAPSHOT, stickyKey) {
      const operation = input.operation ?? 'chat';
      const requested = input.routing?.strategy;
      if (requested !== undefined && !isStrategy(requested)) throw unknownStrategy(requested);

      const model = registry.get(input.model);
      if (model !== undefined) {
        checkOperation(model, operation);
        if (requested === undefined || requested === 'direct') {
          const context =
            input.routing?.maxCostUsd === undefined
              ? undefined
              : createPlanContext(input, poolFor(operation), snapshot, registry, {
                  options: strategyOptions,
                });
          return planDirect(model, undefined, context);
        }
        if (ROUTE_ONLY.has(requested)) throw needsRoute(requested, 'its settings live there');
        const context = contextFor(
          input,
          poolFor(operation),
          snapshot,
          { options: strategyOptions, preferred: model.name },
          stickyKey,
        );
        return run(requested as BuiltInStrategyName, context);
      }

      const route = registry.routes.get(input.model);
      if (route !== undefined) {
        const plan = planRoute(input.model, route, input, snapshot, stickyKey);
        plan.route = input.model;
        if (route.hedge_after_ms !== undefined && plan.kind === 'sequence')
          plan.hedgeAfterMs = route.hedge_after_ms;
        return plan;
      }

      if (input.model === 'auto') {
        const strategy = requested ?? 'cheapest';
        if (strategy === 'direct') throw needsRoute('direct', 'or a model name');
        if (ROUTE_ONLY.has(strategy)) throw needsRoute(strategy, 'its settings live there');
        const context = contextFor(
          input,
          poolFor(operation),
          snapshot,
          { options: strategyOptions },
          stickyKey,
        );
        return run(strategy as BuiltInStrategyName, context);
      }

      throw new GatewayError('NOT_FOUND', `unknown model or route: ${input.model}`, {
        details: { field: 'model', hint: 'GET /v1/models lists what this gateway serves' },
      });
    },
  };
}

/**
 * Puts the model the request named first, for the strategies that do not place it themselves
 * (fallback and ensemble do); the strategy's own choice follows as the fallback. A named model
 * over the budget is not put first.
 */
function withPreferred(plan: RoutePlan, context: PlanContext): RoutePlan {
  const preferred = context.preferred!;
  if (plan.kind === 'parallel' || plan.attempts[0]?.model === preferred) return plan;
  const model = context.registry.get(preferred);
  if (model === undefined) return plan;
  if (context.maxCostUsd !== undefined) {
    const estimate = context.costOf(model);
    if (estimate > context.maxCostUsd) {
      return {
        ...plan,
        reason: `${plan.reason}; ${preferred} not first: ${formatUsd(estimate)} est. is over budget`,
      };
    }
  }
  const rest = plan.attempts.filter((a) => a.model !== preferred);
  return {
    ...plan,
    attempts: [{ model: preferred, reason: 'named by the request' }, ...rest],
    reason: `${plan.reason}; ${preferred} first (named by the request)`,
  };
}
