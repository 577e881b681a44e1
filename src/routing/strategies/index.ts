/**
 * @module routing/strategies
 * Every built-in strategy by its config name, built with the given knobs. The router dispatches
 * through this table; the eval and tests can take a strategy from it by name. `custom` is not
 * here: a custom router is the user's module, loaded with `loadCustomRouters`.
 */

import type { STRATEGIES } from '../../config/schema.js';
import { ab } from './ab.js';
import { balanced } from './balanced.js';
import { createCheapestStrategy } from './cheapest.js';
import { direct } from './direct.js';
import { ensemble } from './ensemble.js';
import { createFallbackStrategy } from './fallback.js';
import type { PlanStrategy, StrategyOptions } from './plan-context.js';
import { quality } from './quality.js';
import { routerModel } from './router-model.js';
import { rules } from './rules.js';

export type StrategyName = (typeof STRATEGIES)[number];
export type BuiltInStrategyName = Exclude<StrategyName, 'custom'>;

/**
 * The built-in strategies. Knobs given here override the plan context's (which come from the
 * router's options); without them each strategy reads the context's.
 */
export function createStrategies(
  options: Pick<StrategyOptions, 'qualityTolerance' | 'maxChainSteps'> = {},
): Readonly<Record<BuiltInStrategyName, PlanStrategy>> {
  return {
    direct,
    rules,
    cheapest: createCheapestStrategy(
      options.qualityTolerance === undefined ? {} : { qualityTolerance: options.qualityTolerance },
    ),
    quality,
    balanced,
    fallback: createFallbackStrategy(
      options.maxChainSteps === undefined ? {} : { maxChainSteps: options.maxChainSteps },
    ),
    ensemble,
    ab,
    'router-model': routerModel,
  };
}

export type { PlanContext, PlanRequest, PlanStrategy, StrategyOptions } from './plan-context.js';
