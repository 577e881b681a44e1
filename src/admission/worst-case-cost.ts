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

import { computeCostNanos } from '../accounting/compute-cost.js';
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

/** Output tokens a step may write: the request's max_tokens (or the default) within the model's limits. */
function outputTokens(registry: Registry, model: string, requested: number | undefined): number {
  const entry = registry.get(model);
  let tokens = requested ?? DEFAULT_OUTPUT_TOKENS;
  if (entry?.maxOutputTokens !== undefined && entry.maxOutputTokens < tokens) tokens = entry.maxOutputTokens;
  if (entry?.contextWindow !== undefined && entry.contextWindow < tokens) tokens = entry.contextWindow;
  return tokens;
}

function cost(registry: Registry, model: string, inputTokens: number, output: number): number {
  const entry = registry.get(model);
  if (entry === undefined) return 0;
  return computeCostNanos({ inputTokens, outputTokens: output }, entry.prices);
}

export function planCost(
  plan: RoutePlan,
  request: AdmissionRequest['request'],
  input: InputSize,
  registry: Registry,
): PlanCost {
  // Embeddings write nothing; chat writes up to max_tokens.
  const requested = 'messages' in request ? request.maxTokens : 0;

  if (plan.kind === 'parallel') {
    let worst = 0;
    let prompt = 0;
    let answers = 0;
    for (const { model } of plan.members) {
      const output = outputTokens(registry, model, requested);
      worst += cost(registry, model, input.upperBound, output);
      prompt += cost(registry, model, input.estimate, 0);
      answers += output;
    }
    if (plan.aggregator !== undefined && plan.select === 'synthesize') {
      const aggregator = plan.aggregator;
      const output = outputTokens(registry, aggregator, requested);
      worst += cost(registry, aggregator, input.upperBound + answers, output);
      prompt += cost(registry, aggregator, input.estimate, 0);
    }
    return { worstCaseNanos: worst, promptNanos: prompt };
  }

  const full = (model: string) =>
    cost(registry, model, input.upperBound, outputTokens(registry, model, requested));
  let dearest = 0;
  let sum = 0;
  let cheapestPrompt = Number.POSITIVE_INFINITY;
  for (const { model, verifier } of plan.attempts) {
    // A learned verifier asks its peer models the same question beside the step: paid too.
    let step = full(model);
    for (const peer of verifier?.weights.peers ?? []) step += full(peer);
    if (step > dearest) dearest = step;
    sum += step;
    const prompt = cost(registry, model, input.estimate, 0);
    if (prompt < cheapestPrompt) cheapestPrompt = prompt;
  }
  // router-model: the classifier's call, then whichever target its answer picks.
  const classifier = plan.classifier;
  if (classifier !== undefined) {
    for (const { model } of classifier.targets) dearest = Math.max(dearest, full(model));
    const classify = cost(
      registry,
      classifier.model,
      input.upperBound,
      outputTokens(registry, classifier.model, classifier.request.maxTokens),
    );
    dearest += classify;
    sum += classify;
  }
  let worst = plan.escalate === undefined ? dearest : sum;
  if (plan.hedgeAfterMs !== undefined) worst += dearest;
  return { worstCaseNanos: worst, promptNanos: Number.isFinite(cheapestPrompt) ? cheapestPrompt : 0 };
}
