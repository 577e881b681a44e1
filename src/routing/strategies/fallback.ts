/**
 * @module routing/strategies/fallback
 * A cascade (FrugalGPT): try a cheap model first and escalate — on an error, or when the
 * answer's confidence is below `min_confidence` (default 0.6) — to a stronger one, stopping at
 * the first confident answer. The chain is the request's or the route's `chain`, or else built
 * cheapest-to-strongest from the candidates that fit the request (tier, capability, context),
 * keeping only models that are stronger than every cheaper one already in the chain: a model
 * that costs more and is not better (by learned prior, else configured quality) is dominated and
 * never worth escalating to. With learned priors (`routing.priors_file`) and no chain named, the
 * chain and threshold learned for the request's task are used instead, and a step whose (task,
 * model) has a learned verifier carries it: the cascade then scores that step with the verifier's
 * probability of being right (asking its peer models too). With a budget, a step whose estimate
 * (its peers included) does not fit what the earlier steps may already have spent is left out;
 * if no step fits, BUDGET_EXCEEDED.
 */

import { GatewayError } from '../../core/errors.js';
import type { ModelEntry } from '../../registry/registry.js';
import { tierAt } from '../classify/tasks.js';
import type { LearnedCascade, PlannedAttempt, RoutePlan } from '../plan.js';
import {
  contextFor,
  describeRequest,
  formatUsd,
  minConfidenceOf,
  type PlanContext,
  type PlanStrategy,
  priorsCover,
  rankingCost,
} from './plan-context.js';
import { atLeastTier, budgetExceeded, describeSkips, nothingFits, screen } from './screen.js';

export interface FallbackOptions {
  /** Overrides the context's `maxChainSteps` for automatic chains. */
  maxChainSteps?: number;
}

interface Step {
  model: ModelEntry;
  reason: string;
  quality: number;
}

function explicitChain(
  context: PlanContext,
  names: readonly string[],
  notes: string[],
  label = 'chain step',
): Step[] {
  const steps: Step[] = [];
  const seen = new Set<string>();
  const ordered =
    context.preferred !== undefined && !names.includes(context.preferred)
      ? [context.preferred, ...names]
      : names;
  for (const name of ordered) {
    if (seen.has(name)) continue;
    seen.add(name);
    const model = context.registry.get(name);
    if (model === undefined) {
      throw new GatewayError('NOT_FOUND', `fallback: unknown model in chain: ${name}`, {
        details: { field: 'chain', model: name },
      });
    }
    if (model.deployments.length === 0) {
      notes.push(`${name} skipped (no deployment)`);
      continue;
    }
    if (context.operation === 'embeddings' && !model.capabilities.has('embeddings')) {
      notes.push(`${name} skipped (no embeddings)`);
      continue;
    }
    if (model.contextWindow !== undefined && model.contextWindow < context.need().minContext) {
      notes.push(`${name} skipped (context window ${model.contextWindow} < ${context.need().minContext})`);
      continue;
    }
    steps.push({ model, reason: `${label} ${steps.length + 1}`, quality: model.quality });
  }
  return steps;
}

function automaticChain(context: PlanContext, maxSteps: number, notes: string[]): Step[] {
  const screened = screen(context);
  if (screened.fit.length === 0) throw nothingFits(context, screened, 'fallback');
  const skipped = describeSkips(screened.skips, context.need());
  if (skipped !== '') notes.push(skipped);
  const usePriors = priorsCover(context, screened.fit);
  let positions: number[];
  let floor = '';
  if (usePriors) {
    positions = Array.from(screened.fit, (_, k) => k);
  } else {
    const need = context.need();
    const tiered = atLeastTier(context, screened, need.minTier);
    positions = tiered.positions;
    floor = `from tier ${tierAt(tiered.relaxedTo ?? need.minTier)}`;
    if (tiered.relaxedTo !== undefined) notes.push(`no ${tierAt(need.minTier)} model fits`);
  }
  const models = context.set.models;
  const count = positions.length;
  const member = new Int32Array(count);
  const cost = new Float64Array(count);
  const quality = new Float64Array(count);
  for (let p = 0; p < count; p++) {
    const k = positions[p]!;
    const i = screened.fit[k]!;
    member[p] = i;
    cost[p] = rankingCost(context, i, screened.cost[k]!);
    quality[p] = context.quality(i);
  }

  let preferredQuality = Number.NEGATIVE_INFINITY;
  const steps: Step[] = [];
  if (context.preferred !== undefined) {
    const model = context.registry.get(context.preferred);
    if (model !== undefined) {
      const at = context.set.indexOf(model.name);
      preferredQuality = at >= 0 ? context.quality(at) : model.quality;
      steps.push({ model, reason: 'named by the request', quality: preferredQuality });
    }
  }
  // The (cost, quality) frontier, built from the cheap end: each step is the cheapest model
  // better than the step before. One scan per step, so no sort of the whole list.
  let others = 0;
  let weaker = 0;
  for (let p = 0; p < count; p++) {
    if (models[member[p]!]!.name === context.preferred) continue;
    others++;
    if (quality[p]! <= preferredQuality) weaker++;
  }
  let frontier = 0;
  let best = preferredQuality;
  for (;;) {
    let next = -1;
    for (let p = 0; p < count; p++) {
      if (quality[p]! <= best || models[member[p]!]!.name === context.preferred) continue;
      if (
        next === -1 ||
        cost[p]! < cost[next]! ||
        (cost[p] === cost[next] &&
          (quality[p]! > quality[next]! ||
            (quality[p] === quality[next] && models[member[p]!]!.name < models[member[next]!]!.name)))
      ) {
        next = p;
      }
    }
    if (next === -1) break;
    frontier++;
    best = quality[next]!;
    const source = usePriors ? 'prior' : 'quality';
    steps.push({
      model: models[member[next]!]!,
      reason:
        steps.length === 0
          ? `cheapest ${usePriors ? 'with a prior' : floor}`
          : `escalation: ${source} ${best.toFixed(3)} > ${steps[steps.length - 1]!.quality.toFixed(3)}`,
      quality: best,
    });
  }
  const dominated = others - weaker - frontier;
  if (dominated > 0) notes.push(`${dominated} dominated (dearer, not better)`);
  if (weaker > 0) notes.push(`${weaker} not stronger than ${context.preferred}`);
  if (steps.length > maxSteps) {
    // Keep the cheap start and the strongest end.
    const strongest = steps[steps.length - 1]!;
    steps.length = Math.max(1, maxSteps - 1);
    if (maxSteps > 1) steps.push(strongest);
    notes.push(`chain cut to ${maxSteps} steps`);
  }
  return steps;
}

/** The chain learned for the request's task, when priors have one and all its models can take the request. */
function learnedChain(
  context: PlanContext,
  notes: string[],
): { cascade: LearnedCascade; steps: Step[] } | undefined {
  const priors = context.snapshot.priors;
  if (priors?.cascade === undefined || context.operation !== 'chat') return undefined;
  const task = context.classification().task;
  const cascade = priors.cascade(task);
  if (cascade === undefined) return undefined;
  const absent = cascade.chain.find((name) => context.set.indexOf(name) < 0);
  if (absent !== undefined) {
    notes.push(`learned chain not used: ${absent} is not a candidate`);
    return undefined;
  }
  const steps = explicitChain(context, cascade.chain, notes, 'learned step');
  return steps.length === 0 ? undefined : { cascade, steps };
}

/** The learned verifier of `model` on the request's task, when priors have one and its peers are deployed. */
function verifierOf(context: PlanContext, model: string, notes: string[]): PlannedAttempt['verifier'] {
  const priors = context.snapshot.priors;
  if (priors?.verifier === undefined || context.operation !== 'chat') return undefined;
  const task = context.classification().task;
  const weights = priors.verifier(task, model);
  if (weights === undefined) return undefined;
  const absent = weights.peers.find((peer) => (context.registry.get(peer)?.deployments.length ?? 0) === 0);
  if (absent !== undefined) {
    notes.push(`${model}: learned verifier not used (peer ${absent} is not deployed)`);
    return undefined;
  }
  return { task, weights };
}

export function createFallbackStrategy(options: FallbackOptions = {}): PlanStrategy {
  return (request, candidates, snapshot, registry, given): RoutePlan => {
    const context = contextFor(request, candidates, snapshot, registry, given);
    const notes: string[] = [];
    const chain = request.routing?.chain ?? context.route?.chain;
    const named = chain !== undefined && chain.length > 0;
    const learned = named ? undefined : learnedChain(context, notes);
    const steps = named
      ? explicitChain(context, chain, notes)
      : (learned?.steps ??
        automaticChain(context, options.maxChainSteps ?? context.options.maxChainSteps, notes));

    const max = context.maxCostUsd;
    const attempts: PlannedAttempt[] = [];
    let planned = 0;
    let cheapestOut: { model: string; estimatedCostUsd: number } | undefined;
    for (const step of steps) {
      const estimate = context.costOf(step.model);
      if (max !== undefined && planned + estimate > max) {
        notes.push(
          `${step.model.name} left out (${formatUsd(estimate)} est. would pass max ${formatUsd(max)})`,
        );
        if (cheapestOut === undefined || estimate < cheapestOut.estimatedCostUsd) {
          cheapestOut = { model: step.model.name, estimatedCostUsd: estimate };
        }
        continue;
      }
      let verifier = verifierOf(context, step.model.name, notes);
      let peerCost = 0;
      if (verifier !== undefined) {
        for (const peer of verifier.weights.peers) peerCost += context.costOf(context.registry.get(peer)!);
        if (max !== undefined && planned + estimate + peerCost > max) {
          notes.push(
            `${step.model.name}: learned verifier left out (its peers would pass max ${formatUsd(max)})`,
          );
          verifier = undefined;
          peerCost = 0;
        }
      }
      planned += estimate + peerCost;
      const checked =
        verifier === undefined
          ? ''
          : `, learned verifier${verifier.weights.peers.length > 0 ? ` with ${verifier.weights.peers.join(' + ')}` : ''}`;
      attempts.push({
        model: step.model.name,
        reason: `${step.reason} (${formatUsd(estimate)} est.${checked})`,
        ...(verifier === undefined ? {} : { verifier }),
      });
    }
    if (attempts.length === 0) {
      if (cheapestOut !== undefined) throw budgetExceeded(context, 'fallback', cheapestOut);
      throw new GatewayError('MODEL_UNAVAILABLE', 'fallback: no model in the chain can take the request', {
        details: { notes },
      });
    }
    // A threshold set by the request or the route wins; the learned one is calibrated to the verifier.
    const setExplicitly =
      request.routing?.minConfidence !== undefined || context.route?.min_confidence !== undefined;
    const minConfidence =
      learned !== undefined && !setExplicitly ? learned.cascade.minConfidence : minConfidenceOf(context);
    const chainText = attempts.map((a) => a.model).join(' → ');
    const source = named ? 'chain' : learned !== undefined ? 'learned chain' : 'cascade';
    const verified = attempts.filter((a) => a.verifier !== undefined).map((a) => a.model);
    return {
      kind: 'sequence',
      strategy: 'fallback',
      attempts,
      escalate: { minConfidence },
      ...(max === undefined ? {} : { maxCostUsd: max }),
      reason:
        `fallback: ${describeRequest(context)}; ${source} ${chainText} ` +
        `(escalate below confidence ${minConfidence}${learned !== undefined && !setExplicitly ? ' (learned)' : ''}, ` +
        `${formatUsd(planned)} if every step runs)` +
        (verified.length === 0 ? '' : `; learned verifier for ${verified.join(', ')}`) +
        (notes.length === 0 ? '' : `; ${notes.join('; ')}`),
    };
  };
}

export const fallback: PlanStrategy = createFallbackStrategy();
