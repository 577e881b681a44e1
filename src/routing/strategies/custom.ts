/**
 * @module routing/strategies/custom
 * Routers written by the user: a route `{strategy: custom, module: ./my-router.mjs}` names a
 * JS module (or TS, when the process runs with a TS loader) that exports
 * `route(request, candidates, snapshot) → model name | RoutePlan`. Modules are imported once at
 * start (`loadCustomRouters`), never per request, and what a router returns is checked before
 * it reaches the executor: unknown models, empty plans and thrown errors become gateway errors
 * naming the route.
 */

import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../../config/schema.js';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import type { ModelEntry, Registry } from '../../registry/registry.js';
import type { PlannedAttempt, RoutePlan, RoutingSnapshot } from '../plan.js';
import type { PlanRequest } from './plan-context.js';

/** What a custom router module exports as `route`. */
export type CustomRouter = (
  request: PlanRequest,
  candidates: readonly ModelEntry[],
  snapshot: RoutingSnapshot,
) => string | RoutePlan;

export interface LoadCustomRoutersOptions {
  /** Where relative module paths start; the config file's directory. Default: the working directory. */
  baseDir?: string;
}

function specifierOf(module: string, baseDir: string): string {
  if (module.startsWith('file:')) return module;
  if (isAbsolute(module) || module.startsWith('.')) return pathToFileURL(resolve(baseDir, module)).href;
  return module;
}

function routeExport(loaded: unknown): CustomRouter | undefined {
  if (typeof loaded !== 'object' || loaded === null) return undefined;
  const mod = loaded as { route?: unknown; default?: unknown };
  if (typeof mod.route === 'function') return mod.route as CustomRouter;
  if (typeof mod.default === 'function') return mod.default as CustomRouter;
  if (typeof mod.default === 'object' && mod.default !== null) {
    const inner = (mod.default as { route?: unknown }).route;
    if (typeof inner === 'function') return inner as CustomRouter;
  }
  return undefined;
}

/**
 * Imports the module of every `custom` route, once. Call at start (and on config reload) and
 * pass the result to `createRouter`. Rejects with an error naming the route when a module is
 * missing or exports no `route` function.
 */
export async function loadCustomRouters(
  config: Pick<Config, 'routes'>,
  options: LoadCustomRoutersOptions = {},
): Promise<Map<string, CustomRouter>> {
  const baseDir = options.baseDir ?? process.cwd();
  const routers = new Map<string, CustomRouter>();
  for (const [name, route] of Object.entries(config.routes)) {
    if (route.strategy !== 'custom') continue;
    if (route.module === undefined) throw new Error(`routes.${name}.module: a custom route needs a module`);
    let loaded: unknown;
    try {
      loaded = await import(specifierOf(route.module, baseDir));
    } catch (error) {
      throw new Error(`routes.${name}.module: cannot import ${route.module}: ${String(error)}`, {
        cause: error,
      });
    }
    const router = routeExport(loaded);
    if (router === undefined) {
      throw new Error(
        `routes.${name}.module: ${route.module} exports no route(request, candidates) function`,
      );
    }
    routers.set(name, router);
  }
  return routers;
}

function invalidPlan(routeName: string, why: string): GatewayError {
  return new GatewayError('INTERNAL', `custom router ${routeName} returned an unusable plan: ${why}`, {
    details: { route: routeName },
  });
}

function checkAttempts(attempts: unknown, registry: Registry, routeName: string): PlannedAttempt[] {
  if (!Array.isArray(attempts) || attempts.length === 0) throw invalidPlan(routeName, 'no models');
  return attempts.map((attempt: unknown) => {
    const model = (attempt as { model?: unknown } | null)?.model;
    if (typeof model !== 'string' || registry.get(model) === undefined) {
      throw invalidPlan(routeName, `unknown model ${String(model)}`);
    }
    const reason = (attempt as { reason?: unknown }).reason;
    return { model, ...(typeof reason === 'string' ? { reason } : {}) };
  });
}

/** Runs a custom router and turns what it returned into a checked plan. */
export function planCustom(
  router: CustomRouter,
  routeName: string,
  request: PlanRequest,
  candidates: readonly ModelEntry[],
  snapshot: RoutingSnapshot,
  registry: Registry,
): RoutePlan {
  let result: unknown;
  try {
    result = router(request, candidates, snapshot);
  } catch (error) {
    if (isGatewayError(error)) throw error;
    throw new GatewayError('INTERNAL', `custom router ${routeName} failed`, {
      cause: error,
      details: { route: routeName },
    });
  }
  if (typeof result === 'string') {
    const model = registry.get(result);
    if (model === undefined) throw invalidPlan(routeName, `unknown model ${result}`);
    return {
      kind: 'sequence',
      strategy: 'custom',
      attempts: [{ model: result, reason: `chosen by custom router ${routeName}` }],
      reason: `custom (${routeName}): → ${result}`,
    };
  }
  if (typeof result !== 'object' || result === null)
    throw invalidPlan(routeName, 'not a model name or a plan');
  const plan = result as Partial<RoutePlan>;
  const reason =
    typeof plan.reason === 'string' ? `custom (${routeName}): ${plan.reason}` : `custom (${routeName})`;
  if (plan.kind === 'sequence') {
    const attempts = checkAttempts(plan.attempts, registry, routeName);
    const min = plan.escalate?.minConfidence;
    return {
      kind: 'sequence',
      strategy: 'custom',
      attempts,
      ...(typeof min === 'number' && min >= 0 && min <= 1 ? { escalate: { minConfidence: min } } : {}),
      reason,
    };
  }
  if (plan.kind === 'parallel') {
    const members = checkAttempts(plan.members, registry, routeName);
    const select = plan.select === 'vote' || plan.select === 'synthesize' ? plan.select : 'confidence';
    const aggregator = plan.aggregator;
    if (aggregator !== undefined && registry.get(aggregator) === undefined) {
      throw invalidPlan(routeName, `unknown aggregator ${aggregator}`);
    }
    return {
      kind: 'parallel',
      strategy: 'custom',
      members,
      select,
      ...(aggregator === undefined ? {} : { aggregator }),
      reason,
    };
  }
  throw invalidPlan(routeName, 'kind must be sequence or parallel');
}
