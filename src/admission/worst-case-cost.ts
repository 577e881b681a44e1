/**
 * @module admission/worst-case-cost
 * What a planned request can cost at most, so that a budget reservation covers it before any
 * upstream call. Input tokens use the accounting tokenizer's upper bound (a byte count: every
 * tokenizer met here spends at least a byte per token), output tokens the request's `max_tokens`
 * (4,096 when absent) clamped to the model's output limit and context window.
 *
 * How steps combine, and why:
 * - a sequence plan reserves its most expensive step: fallback attempts run one after the other
 *   and a failed attempt bills next to nothing, so only one step bills substantially;
 * - unless it escalates on low confidence: every step may then answer in full, so steps add up;
 * - hedging may run two attempts of a step at once, so the dearest step counts twice;
 * - a parallel plan runs every member, so members add up, plus the aggregator's call when the
 *   answers are synthesised (its prompt carries every member's answer).
 * Retries after errors are not reserved for; the reservation is settled to the real cost anyway,
 * so they can overshoot a budget by at most what one request costs.
 */

import { type CompiledPrices, compilePrices, computeCostNanosCompiled } from '../accounting/compute-cost.js';
import { worstCaseInputTokens } from '../accounting/tokenizer.js';
import type { Registry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import type { AdmissionRequest } from './admission.js';

/** Output tokens assumed when a request sets no `max_tokens`. */
export const DEFAULT_OUTPUT_TOKENS = 4_096;
/** Bytes per token of typical text, for estimates that should be close rather than safe. */
const BYTES_PER_TOKEN = 4;

export interface InputSize {
  /** Never fewer than the prompt's real tokens. */
  upperBound: number;
  /** About the prompt's real tokens (4 bytes a token). */
  estimate: number;
}

export function inputSize(request: AdmissionRequest['request']): InputSize {
  if ('messages' in request) {
    const upperBound = worstCaseInputTokens(request);
    return { upperBound, estimate: Math.ceil(upperBound / BYTES_PER_TOKEN) };
  }
  let bytes = 0;
  for (const text of request.input) bytes += Buffer.byteLength(text, 'utf8') + 1;
  return { upperBound: bytes, estimate: Math.ceil(bytes / BYTES_PER_TOKEN) };
}

export interface PlanCost {
  /** Most the plan can cost, in nano-dollars. */
  worstCaseNanos: number;
  /** The prompt alone on the cheapest way through the plan, estimated, in nano-dollars. */
  promptNanos: number;
}

/** What the cost of a plan needs of one model, looked up and compiled once. */
interface ModelCost {
  /** The most a step may write: the model's output limit and context window, whichever is lower. */
  outputCap: number;
  prices: CompiledPrices;
}

/** Costs plans against one registry (the per-model lookups are kept: a registry never changes). */
export interface PlanCoster {
  cost(plan: RoutePlan, request: AdmissionRequest['request'], input: InputSize): PlanCost;
  /** `cost(…).worstCaseNanos` alone: what a request without a `max_cost` needs. */
  worstCase(plan: RoutePlan, request: AdmissionRequest['request'], input: InputSize): number;
}

export function createPlanCoster(registry: Registry): PlanCoster {
  // null: not in the registry, which prices a call at nothing and caps nothing.
  const models = new Map<string, ModelCost | null>();

  function modelCost(model: string): ModelCost | null {
    let known = models.get(model);
    if (known === undefined) {
      const entry = registry.get(model);
      known =
        entry === undefined
          ? null
          : {
              outputCap: Math.min(
                entry.maxOutputTokens ?? Number.POSITIVE_INFINITY,
                entry.contextWindow ?? Number.POSITIVE_INFINITY,
              ),
              prices: compilePrices(entry.prices),
            };
      models.set(model, known);
    }
    return known;
  }

  /** Output tokens a step may write: the request's max_tokens (or the default) within the model's limits. */
  function outputTokens(model: ModelCost | null, requested: number | undefined): number {
    const tokens = requested ?? DEFAULT_OUTPUT_TOKENS;
    return model !== null && model.outputCap < tokens ? model.outputCap : tokens;
  }

  function price(model: ModelCost | null, inputTokens: number, outputTokens: number): number {
    return model === null ? 0 : computeCostNanosCompiled({ inputTokens, outputTokens }, model.prices);
  }

  /** The step's whole call: the prompt's upper bound in, as much as it may write out. */
  function full(model: string, input: InputSize, requested: number | undefined): number {
    const cost = modelCost(model);
    return price(cost, input.upperBound, outputTokens(cost, requested));
  }

  // `withPrompt` false leaves `promptNanos` at 0: a prompt costs no more than its whole call on
  // the same model, so leaving it out never hides an error the whole call would not raise first.
  function parallelCost(
    plan: Extract<RoutePlan, { kind: 'parallel' }>,
    input: InputSize,
    requested: number | undefined,
    withPrompt: boolean,
  ): PlanCost {
    let worst = 0;
    let prompt = 0;
    let answers = 0;
    for (const { model } of plan.members) {
      const cost = modelCost(model);
      const output = outputTokens(cost, requested);
      worst += price(cost, input.upperBound, output);
      if (withPrompt) prompt += price(cost, input.estimate, 0);
      answers += output;
    }
    if (plan.aggregator !== undefined && plan.select === 'synthesize') {
      const aggregator = modelCost(plan.aggregator);
      const output = outputTokens(aggregator, requested);
      worst += price(aggregator, input.upperBound + answers, output);
      if (withPrompt) prompt += price(aggregator, input.estimate, 0);
    }
    return { worstCaseNanos: worst, promptNanos: prompt };
  }

  function sequenceCost(
    plan: Extract<RoutePlan, { kind: 'sequence' }>,
    input: InputSize,
    requested: number | undefined,
    withPrompt: boolean,
  ): PlanCost {
    let dearest = 0;
    let sum = 0;
    let cheapestPrompt = Number.POSITIVE_INFINITY;
    for (const { model, verifier } of plan.attempts) {
      const cost = modelCost(model);
      let step = price(cost, input.upperBound, outputTokens(cost, requested));
      // A learned verifier asks its peer models the same question beside the step: paid too.
      if (verifier !== undefined)
        for (const peer of verifier.weights.peers) step += full(peer, input, requested);
      if (step > dearest) dearest = step;
      sum += step;
      if (!withPrompt) continue;
      const prompt = price(cost, input.estimate, 0);
      if (prompt < cheapestPrompt) cheapestPrompt = prompt;
    }
    // router-model: the classifier's call, then whichever target its answer picks.
    const classifier = plan.classifier;
    if (classifier !== undefined) {
      for (const { model } of classifier.targets) dearest = Math.max(dearest, full(model, input, requested));
      const classify = full(classifier.model, input, classifier.request.maxTokens);
      dearest += classify;
      sum += classify;
    }
    let worst = plan.escalate === undefined ? dearest : sum;
    if (plan.hedgeAfterMs !== undefined) worst += dearest;
    return { worstCaseNanos: worst, promptNanos: Number.isFinite(cheapestPrompt) ? cheapestPrompt : 0 };
  }

  function planCostOf(
    plan: RoutePlan,
    request: AdmissionRequest['request'],
    input: InputSize,
    withPrompt: boolean,
  ): PlanCost {
    // Embeddings write nothing; chat writes up to max_tokens.
    const requested = 'messages' in request ? request.maxTokens : 0;
    return plan.kind === 'parallel'
      ? parallelCost(plan, input, requested, withPrompt)
      : sequenceCost(plan, input, requested, withPrompt);
  }

  return {
    cost: (plan, request, input) => planCostOf(plan, request, input, true),
    worstCase: (plan, request, input) => planCostOf(plan, request, input, false).worstCaseNanos,
  };
}

/** The cost of one plan (`createPlanCoster` keeps the per-model lookups for the next). */
export function planCost(
  plan: RoutePlan,
  request: AdmissionRequest['request'],
  input: InputSize,
  registry: Registry,
): PlanCost {
  return createPlanCoster(registry).cost(plan, request, input);
}
