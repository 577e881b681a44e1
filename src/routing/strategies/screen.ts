/**
 * @module routing/strategies/screen
 * Screening: which candidates can take the request at all — deployed, capable, with room for
 * the prompt, within the budget, circuits not all open — with a count of why the others were
 * left out, and the error to raise when none is left. One tight loop over the candidate set's
 * typed arrays writing into its scratch buffers: no per-candidate allocation.
 */

import { type ErrorCode, GatewayError } from '../../core/errors.js';
import type { ModelEntry } from '../../registry/registry.js';
import { capabilityBit, scratchCostView, scratchIndexView } from './candidate-set.js';
import { formatUsd, type Need, type PlanContext } from './plan-context.js';

/** Why candidates were left out, counted, for the trace and for choosing the error. */
export interface Skips {
  unavailable: number;
  capability: number;
  context: number;
  budget: number;
  circuit: number;
}

/**
 * The result of screening. `fit` and `cost` are views into the candidate set's scratch buffers:
 * valid until the next screening of the same set (planning is synchronous and screens once), so
 * copy what must outlive the plan.
 */
export interface Screened {
  /** Candidate indices that can take the request, in candidate order. */
  fit: Int32Array;
  /** Estimated USD of each, aligned with `fit`. */
  cost: Float64Array;
  skips: Skips;
  /** The cheapest candidate that was left out only for the budget. */
  cheapestOverBudget: { index: number; cost: number } | undefined;
  /** Set when every fitting candidate had its circuit open and they were kept anyway. */
  circuitNote: string | undefined;
}

const VISION_BIT = capabilityBit('vision');

function allCircuitsOpen(model: ModelEntry, open: ReadonlySet<string>): boolean {
  for (const deployment of model.deployments) if (!open.has(deployment.id)) return false;
  return true;
}

/**
 * The candidates that can serve the request: deployed, capable, with room for the prompt and
 * (unless `budget` is false) an estimated cost within the budget. Models whose every deployment
 * has an open circuit are left out — unless that leaves nothing, then they stay (the executor's
 * breakers decide whether a probe goes through).
 */
export function screen(context: PlanContext, budget = true): Screened {
  const { set } = context;
  const need = context.need();
  const max = budget ? context.maxCostUsd : undefined;
  const open = context.snapshot.openCircuits;
  const checkCircuits = open !== undefined && open.size > 0;
  const skips: Skips = { unavailable: 0, capability: 0, context: 0, budget: 0, circuit: 0 };
  const fit = set.scratchIndex;
  const cost = set.scratchCost;
  const prompt = context.promptTokens;
  const output = context.outputTokens();
  const { available, caps, inPrice, outPrice, maxOutput } = set;
  let count = 0;
  let cheapestOverBudget: Screened['cheapestOverBudget'];
  // Only when a circuit is open, so the common plan allocates no arrays here.
  let tripped: number[] | undefined;
  let trippedCost: number[] | undefined;
  for (let i = 0; i < set.size; i++) {
    if (available[i] === 0) {
      skips.unavailable++;
      continue;
    }
    const bits = caps[i]!;
    const capable =
      need.bit !== 0 ? (bits & need.bit) !== 0 : set.models[i]!.capabilities.has(need.capability);
    if (!capable || (need.vision && (bits & VISION_BIT) === 0)) {
      skips.capability++;
      continue;
    }
    if (set.context[i]! < need.minContext) {
      skips.context++;
      continue;
    }
    const out = Math.min(output, maxOutput[i]!);
    const estimate = prompt * inPrice[i]! + out * outPrice[i]!;
    if (max !== undefined && estimate > max) {
      skips.budget++;
      if (cheapestOverBudget === undefined || estimate < cheapestOverBudget.cost) {
        cheapestOverBudget = { index: i, cost: estimate };
      }
      continue;
    }
    if (checkCircuits && allCircuitsOpen(set.models[i]!, open)) {
      skips.circuit++;
      if (tripped === undefined || trippedCost === undefined) {
        tripped = [];
        trippedCost = [];
      }
      tripped.push(i);
      trippedCost.push(estimate);
      continue;
    }
    fit[count] = i;
    cost[count] = estimate;
    count++;
  }
  if (count === 0 && tripped !== undefined && trippedCost !== undefined) {
    return {
      fit: Int32Array.from(tripped),
      cost: Float64Array.from(trippedCost),
      skips,
      cheapestOverBudget,
      circuitNote: 'every fitting model has its circuits open; kept for probing',
    };
  }
  return {
    fit: scratchIndexView(set, count),
    cost: scratchCostView(set, count),
    skips,
    cheapestOverBudget,
    circuitNote: undefined,
  };
}

/** `skipped 2 without math, 1 over budget` (empty when nothing was skipped). */
export function describeSkips(skips: Skips, need: Need): string {
  if (
    skips.capability === 0 &&
    skips.context === 0 &&
    skips.budget === 0 &&
    skips.circuit === 0 &&
    skips.unavailable === 0
  ) {
    return '';
  }
  const parts: string[] = [];
  if (skips.capability > 0)
    parts.push(`${skips.capability} without ${need.vision ? `${need.capability}+vision` : need.capability}`);
  if (skips.context > 0) parts.push(`${skips.context} with too small a context window`);
  if (skips.budget > 0) parts.push(`${skips.budget} over budget`);
  if (skips.circuit > 0) parts.push(`${skips.circuit} with open circuits`);
  if (skips.unavailable > 0) parts.push(`${skips.unavailable} without deployments`);
  return parts.length === 0 ? '' : `skipped ${parts.join(', ')}`;
}

/** The error for "nothing can take this request", chosen by the last filter that emptied the list. */
export function nothingFits(context: PlanContext, screened: Screened, strategy: string) {
  const need = context.need();
  const { skips } = screened;
  if (skips.budget > 0 && screened.cheapestOverBudget !== undefined) {
    const cheapest = screened.cheapestOverBudget;
    return budgetExceeded(context, strategy, {
      model: context.set.models[cheapest.index]!.name,
      estimatedCostUsd: cheapest.cost,
    });
  }
  if (skips.context > 0) {
    return gatewayError(
      'TOKEN_LIMIT_EXCEEDED',
      `${strategy}: no candidate's context window fits the request`,
      {
        estimated_prompt_tokens: context.promptTokens,
        needed_tokens: need.minContext,
      },
    );
  }
  const message =
    context.set.size === 0
      ? `${strategy}: no candidate models`
      : skips.capability > 0
        ? `${strategy}: no available model has the ${need.capability} capability`
        : `${strategy}: no candidate model has a usable deployment`;
  return gatewayError('MODEL_UNAVAILABLE', message, {
    capability: need.capability,
    candidates: context.set.size,
    skipped: { ...skips },
  });
}

export function budgetExceeded(
  context: PlanContext,
  strategy: string,
  cheapest: { model: string; estimatedCostUsd: number } | undefined,
) {
  const max = context.maxCostUsd ?? 0;
  const detail =
    cheapest === undefined
      ? ''
      : `; cheapest estimate ${cheapest.model} ${formatUsd(cheapest.estimatedCostUsd)}`;
  return gatewayError('BUDGET_EXCEEDED', `${strategy}: no model fits max cost ${formatUsd(max)}${detail}`, {
    max_cost_usd: max,
    estimated_prompt_tokens: context.promptTokens,
    expected_output_tokens: context.outputTokens(),
    ...(cheapest === undefined
      ? {}
      : { cheapest: { model: cheapest.model, estimated_cost_usd: cheapest.estimatedCostUsd } }),
  });
}

function gatewayError(code: ErrorCode, message: string, details: Record<string, unknown>): GatewayError {
  return new GatewayError(code, message, { details });
}

/**
 * The positions in `screened.fit` whose tier is at least `minTier`; when there are none, those
 * of the highest tier present (`relaxedTo` says which) — a request classified expert still gets
 * the strongest model there is rather than an error.
 */
export function atLeastTier(
  context: PlanContext,
  screened: Screened,
  minTier: number,
): { positions: number[]; relaxedTo: number | undefined } {
  const tier = context.set.tier;
  const positions: number[] = [];
  let highest = -1;
  for (let k = 0; k < screened.fit.length; k++) {
    const t = tier[screened.fit[k]!]!;
    if (t >= minTier) positions.push(k);
    if (t > highest) highest = t;
  }
  if (positions.length > 0 || highest < 0) return { positions, relaxedTo: undefined };
  for (let k = 0; k < screened.fit.length; k++) if (tier[screened.fit[k]!] === highest) positions.push(k);
  return { positions, relaxedTo: highest };
}
