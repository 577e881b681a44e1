/**
 * @module routing/strategies/cheapest
 * The cheapest model that can do the job: it has the capability the classified task needs, its
 * tier is at least the classified tier, its context window holds the prompt, and its estimated
 * cost fits the budget. When no model reaches the tier, the strongest tier there is will do.
 * With learned priors the tier heuristic gives way to evidence: the cheapest model whose prior
 * quality on the task is within `qualityTolerance` of the best model's (FrugalGPT / RouteLLM's
 * "cheapest that is good enough"). Ties go to the higher quality, then the name.
 */

import { tierAt } from '../classify/tasks.js';
import type { RoutePlan } from '../plan.js';
import {
  contextFor,
  describeRequest,
  formatUsd,
  type PlanContext,
  type PlanStrategy,
  priorsCover,
  rankingCost,
} from './plan-context.js';
import { describeSkips, nothingFits, type Screened, screen } from './screen.js';

export interface CheapestOptions {
  /** Overrides the context's `qualityTolerance` (share of the best prior quality that is good enough). */
  qualityTolerance?: number;
}

function better(context: PlanContext, a: number, costA: number, b: number, costB: number): boolean {
  if (costA !== costB) return costA < costB;
  const qa = context.quality(a);
  const qb = context.quality(b);
  if (qa !== qb) return qa > qb;
  return context.set.models[a]!.name < context.set.models[b]!.name;
}

/** `3 fit (3 at tier >= basic); skipped 1 over budget; …`, built without an array of notes. */
function notesText(
  fit: number,
  atTier: string | undefined,
  skipped: string,
  circuitNote: string | undefined,
): string {
  let notes = atTier === undefined ? `${fit} fit` : `${fit} fit (${atTier})`;
  if (skipped !== '') notes += `; ${skipped}`;
  if (circuitNote !== undefined) notes += `; ${circuitNote}`;
  return notes;
}

/**
 * The texts of the last plan by tier and everything they were made from. A route's requests are
 * alike, so request after request the same texts come out: building them (with the request's
 * description) was a fifth to a third of planning a short prompt over three models (0.15–0.5 µs,
 * measured), and a reason that is the same string as the last one is also compared by identity
 * downstream (the `x-switchyard-route` header, the ledger's string table) instead of character
 * by character. Strings are compared by value, so a text is reused only when it would come out
 * the same; what the texts are made from but not compared here (the tier needed) is in the
 * request's description.
 */
interface TierTexts {
  description: string;
  model: string;
  cost: number;
  relaxedTo: number | undefined;
  fit: number;
  atTier: number;
  skipped: string;
  circuitNote: string | undefined;
  label: string;
  reason: string;
  attemptReason: string;
}

let lastTierTexts: TierTexts | undefined;

function tierTexts(
  context: PlanContext,
  screened: Screened,
  model: string,
  cost: number,
  relaxedTo: number | undefined,
  atTier: number,
): TierTexts {
  const need = context.need();
  const description = describeRequest(context);
  const skipped = describeSkips(screened.skips, need);
  const fit = screened.fit.length;
  const last = lastTierTexts;
  if (
    last !== undefined &&
    last.description === description &&
    last.model === model &&
    last.cost === cost &&
    last.relaxedTo === relaxedTo &&
    last.fit === fit &&
    last.atTier === atTier &&
    last.skipped === skipped &&
    last.circuitNote === screened.circuitNote &&
    last.label === need.label
  ) {
    return last;
  }
  const tierName = tierAt(need.minTier);
  const relaxed =
    relaxedTo === undefined ? '' : ` (no ${tierName} model fits; best tier there is: ${tierAt(relaxedTo)})`;
  const notes = notesText(
    fit,
    relaxedTo === undefined ? `${atTier} at tier >= ${tierName}` : undefined,
    skipped,
    screened.circuitNote,
  );
  lastTierTexts = {
    description,
    model,
    cost,
    relaxedTo,
    fit,
    atTier,
    skipped,
    circuitNote: screened.circuitNote,
    label: need.label,
    reason: `cheapest: ${description} → ${model} (${formatUsd(cost)} est.)${relaxed}; ${notes}`,
    attemptReason: `cheapest with ${need.label} at tier >= ${relaxedTo === undefined ? tierName : tierAt(relaxedTo)}`,
  };
  return lastTierTexts;
}

function byTier(context: PlanContext, screened: Screened): RoutePlan {
  const need = context.need();
  const { fit, cost } = screened;
  const tiers = context.set.tier;
  // One pass: the cheapest at the needed tier, and the cheapest of the highest tier seen, in
  // case none reaches the needed one.
  let best = -1;
  let atTier = 0;
  let fallback = -1;
  let highest = -1;
  for (let k = 0; k < fit.length; k++) {
    const i = fit[k]!;
    const tier = tiers[i]!;
    if (tier >= need.minTier) {
      atTier++;
      if (best === -1 || better(context, i, cost[k]!, fit[best]!, cost[best]!)) best = k;
    } else if (
      tier > highest ||
      (tier === highest && better(context, i, cost[k]!, fit[fallback]!, cost[fallback]!))
    ) {
      highest = tier;
      fallback = k;
    }
  }
  const relaxedTo = best === -1 ? highest : undefined;
  if (best === -1) best = fallback;
  const name = context.set.models[fit[best]!]!.name;
  const texts = tierTexts(context, screened, name, cost[best]!, relaxedTo, atTier);
  return {
    kind: 'sequence',
    strategy: 'cheapest',
    attempts: [{ model: name, reason: texts.attemptReason }],
    reason: texts.reason,
  };
}

function byPriors(context: PlanContext, screened: Screened, tolerance: number): RoutePlan {
  let bestQuality = Number.NEGATIVE_INFINITY;
  for (const i of screened.fit) bestQuality = Math.max(bestQuality, context.quality(i));
  const threshold = tolerance * bestQuality;
  let best = -1;
  let bestCost = 0;
  for (let k = 0; k < screened.fit.length; k++) {
    const i = screened.fit[k]!;
    if (context.quality(i) < threshold) continue;
    const cost = rankingCost(context, i, screened.cost[k]!);
    if (best === -1 || better(context, i, cost, screened.fit[best]!, bestCost)) {
      best = k;
      bestCost = cost;
    }
  }
  const chosen = screened.fit[best]!;
  const name = context.set.models[chosen]!.name;
  const quality = context.quality(chosen);
  const skipped = describeSkips(screened.skips, context.need());
  return {
    kind: 'sequence',
    strategy: 'cheapest',
    attempts: [{ model: name, reason: `cheapest with prior quality >= ${tolerance} x best` }],
    reason:
      `cheapest: ${describeRequest(context)}; priors → ${name} (prior ${quality.toFixed(3)} >= ` +
      `${tolerance} x best ${bestQuality.toFixed(3)}, ${formatUsd(bestCost)}/query); ` +
      notesText(screened.fit.length, undefined, skipped, screened.circuitNote),
  };
}

export function createCheapestStrategy(options: CheapestOptions = {}): PlanStrategy {
  return (request, candidates, snapshot, registry, given) => {
    const context = contextFor(request, candidates, snapshot, registry, given);
    const screened = screen(context);
    if (screened.fit.length === 0) throw nothingFits(context, screened, 'cheapest');
    if (context.operation === 'chat' && priorsCover(context, screened.fit)) {
      return byPriors(context, screened, options.qualityTolerance ?? context.options.qualityTolerance);
    }
    return byTier(context, screened);
  };
}

export const cheapest: PlanStrategy = createCheapestStrategy();
