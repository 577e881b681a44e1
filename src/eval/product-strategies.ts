/**
 * @module eval/product-strategies
 * The gateway's own `cheapest` and `fallback` strategies, called exactly as the router calls them —
 * on a registry of the dataset's models, with the priors learned from the training rows (quality,
 * cost, learned cascades and verifiers) in the routing snapshot, as `routing.priors_file` puts
 * them there, and the row's task as the request's task. Their plans are replayed by `replay`, which
 * runs cascades through the executor's own cascade code.
 */

import type { Classification } from '../routing/classify/classify-request.js';
import type { RoutePlan } from '../routing/plan.js';
import { type LearnedPriors, type PriorsJson, priorsFromJson } from '../routing/priors.js';
import { createCheapestStrategy } from '../routing/strategies/cheapest.js';
import { createFallbackStrategy } from '../routing/strategies/fallback.js';
import { createPlanContext, type PlanRequest } from '../routing/strategies/plan-context.js';
import type { EvalRow } from './datasets.js';
import { createRowMemo, getOrInsert } from './memo.js';
import { type ReplayContext, requestOf } from './replay.js';
import { createReplayRegistry } from './replay-registry.js';

export interface ProductStrategies {
  /** The `cheapest` strategy's plan for the row, with learned priors and a quality tolerance. */
  cheapest(row: EvalRow, tolerance: number): RoutePlan;
  /**
   * The `fallback` strategy's plan for the row: with neither option, what a gateway with these
   * priors plans (the learned chain and threshold); `minConfidence` and `chain` as a request would
   * set them (`chain` in dataset model names).
   */
  fallback(row: EvalRow, options?: { minConfidence?: number; chain?: readonly string[] }): RoutePlan;
  /** How those plans are replayed: the replay registry and recorded costs. */
  replay: ReplayContext;
}

/** The priors document with every model named as the replay registry names it. */
function renamed(json: PriorsJson, nameOf: (model: string) => string): PriorsJson {
  const byName = <V>(record: Record<string, V>) =>
    Object.fromEntries(Object.entries(record).map(([model, value]) => [nameOf(model), value]));
  return {
    ...json,
    models: byName(json.models),
    tasks: Object.fromEntries(Object.entries(json.tasks).map(([task, models]) => [task, byName(models)])),
    ...(json.cascades === undefined
      ? {}
      : {
          cascades: Object.fromEntries(
            Object.entries(json.cascades).map(([task, c]) => [task, { ...c, chain: c.chain.map(nameOf) }]),
          ),
        }),
    ...(json.verifiers === undefined
      ? {}
      : {
          verifiers: Object.fromEntries(
            Object.entries(json.verifiers).map(([task, byModel]) => [
              task,
              Object.fromEntries(
                Object.entries(byModel).map(([model, w]) => [
                  nameOf(model),
                  // Peer features name their model: rename them with it.
                  {
                    ...w,
                    peers: w.peers.map(nameOf),
                    features: w.features.map((f) => {
                      const colon = f.indexOf(':');
                      const peer = f.slice(colon + 1);
                      return colon !== -1 && w.peers.includes(peer)
                        ? `${f.slice(0, colon)}:${nameOf(peer)}`
                        : f;
                    }),
                  },
                ]),
              ),
            ]),
          ),
        }),
  };
}

export function createProductStrategies(
  models: readonly string[],
  priors: LearnedPriors,
  costOf: (row: EvalRow, model: string) => number,
): ProductStrategies {
  const replayRegistry = createReplayRegistry(models, priors);
  const { registry, nameOf } = replayRegistry;
  const candidates = [...registry.models.values()];
  const snapshot = { priors: priorsFromJson(renamed(priors.toJSON(), nameOf)) };
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
      return strategy(request, candidates, snapshot, registry, contextOf(row, request));
    },
    fallback(row, options = {}) {
      const request = requestOf(row);
      request.routing = {
        ...request.routing,
        ...(options.minConfidence === undefined ? {} : { minConfidence: options.minConfidence }),
        ...(options.chain === undefined ? {} : { chain: options.chain.map(nameOf) }),
      };
      return fallbackStrategy(request, candidates, snapshot, registry, contextOf(row, request));
    },
    replay: {
      ...replayRegistry,
      costOf,
      qualityOf: (model) => priors.overall(model)?.quality ?? 0,
    },
  };
}
