/**
 * @module eval/product-strategies
 * The gateway's own `cheapest` and `fallback` strategies, called exactly as the router calls them —
 * on a registry of the dataset's models, with the priors learned from the training rows in the
 * routing snapshot and the row's task as the request's task — and their plans mapped back to
 * dataset model names for the replay. Their answers are judged by the real confidence scorers.
 */

import type { Classification } from '../routing/classify/classify-request.js';
import type { Priors, RoutePlan } from '../routing/plan.js';
import type { LearnedPriors } from '../routing/priors.js';
import { createCheapestStrategy } from '../routing/strategies/cheapest.js';
import { createFallbackStrategy } from '../routing/strategies/fallback.js';
import { createPlanContext, type PlanRequest } from '../routing/strategies/plan-context.js';
import type { EvalRow } from './datasets.js';
import { createRowMemo, getOrInsert } from './memo.js';
import { createScorerJudge, type ReplayContext, requestOf } from './replay.js';
import { createReplayRegistry } from './replay-registry.js';

export interface ProductStrategies {
  /** The `cheapest` strategy's plan for the row, with learned priors and a quality tolerance. */
  cheapest(row: EvalRow, tolerance: number): RoutePlan;
  /**
   * The `fallback` strategy's plan for the row, escalating below `minConfidence`: its automatic
   * chain (cheapest to strongest by the priors), or `chain` as a route or request would name it.
   */
  fallback(row: EvalRow, minConfidence: number, chain?: readonly string[]): RoutePlan;
  /** How those plans are replayed: the product's confidence scorers, recorded costs. */
  replay: ReplayContext;
}

function mapPlan(plan: RoutePlan, modelOf: (name: string) => string): RoutePlan {
  return plan.kind === 'sequence'
    ? { ...plan, attempts: plan.attempts.map((a) => ({ ...a, model: modelOf(a.model) })) }
    : { ...plan, members: plan.members.map((m) => ({ ...m, model: modelOf(m.model) })) };
}

/** Priors keyed by registry names (dataset names config refused are rewritten). */
function renamedPriors(priors: LearnedPriors, modelOf: (name: string) => string): Priors {
  return { get: (task, model) => priors.get(task, modelOf(model)), tasks: () => priors.tasks() };
}

export function createProductStrategies(
  models: readonly string[],
  priors: LearnedPriors,
  costOf: (row: EvalRow, model: string) => number,
  judge: ReturnType<typeof createScorerJudge> = createScorerJudge(),
): ProductStrategies {
  const { registry, modelOf, nameOf } = createReplayRegistry(models, priors);
  const candidates = [...registry.models.values()];
  const snapshot = { priors: renamedPriors(priors, modelOf) };
  const cheapestByTolerance = new Map<number, ReturnType<typeof createCheapestStrategy>>();
  const fallbackStrategy = createFallbackStrategy();
  // The prompt is classified once per row, as the router does, and shared by every setting's plan.
  const classifications = createRowMemo<Classification>();
  const contextOf = (row: EvalRow, request: PlanRequest) =>
    createPlanContext(request, candidates, snapshot, registry, {
      classification: classifications(row, '', () =>
        createPlanContext(request, candidates, snapshot, registry).classification(),
      ),
    });
  return {
    cheapest(row, tolerance) {
      const strategy = getOrInsert(cheapestByTolerance, tolerance, () =>
        createCheapestStrategy({ qualityTolerance: tolerance }),
      );
      const request = requestOf(row);
      return mapPlan(strategy(request, candidates, snapshot, registry, contextOf(row, request)), modelOf);
    },
    fallback(row, minConfidence, chain) {
      const request = requestOf(row);
      request.routing = {
        ...request.routing,
        minConfidence,
        ...(chain === undefined ? {} : { chain: chain.map(nameOf) }),
      };
      return mapPlan(
        fallbackStrategy(request, candidates, snapshot, registry, contextOf(row, request)),
        modelOf,
      );
    },
    replay: {
      judge,
      costOf,
      qualityOf: (model) => priors.overall(model)?.quality ?? 0,
    },
  };
}
