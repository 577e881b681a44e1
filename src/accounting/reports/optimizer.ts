/**
 * @module accounting/reports/optimizer
 * Cost-optimizer advice from the ledger: for each (route, model) that spent money, would a cheaper
 * model of the same tier have served? The saving is the group's own tokens priced at both models
 * (tokens × price difference, class by class). The evidence is what the ledger knows about
 * quality: the share of graded requests judged good (feedback rating ≥ 4, or lacking feedback,
 * confidence ≥ 0.7) and the error rate, on the expensive model for this route and on the cheaper
 * model where it ran — on this route if it has enough graded requests there, else on all routes.
 * A cheaper model with no graded record is never suggested: a low price is not evidence.
 */

import type { Tier } from '../../config/schema.js';
import type { UsageRow } from '../../storage/ports.js';
import { addUsageRow, emptyUsageRow } from '../../storage/usage-aggregation.js';
import { computeCostNanos } from '../compute-cost.js';
import type { Prices } from '../prices.js';

/** What the advisor needs to know about a model (a registry `ModelEntry` has all of it). */
export interface AdvisorModel {
  name: string;
  tier: Tier;
  prices: Prices;
  capabilities: ReadonlySet<string>;
  /** False when nothing priced the model: its zero price proves nothing. */
  priced?: boolean;
}

export interface OptimizerOptions {
  /** Graded requests needed before a share of good answers counts as evidence (default 10). */
  minGraded?: number;
  /** How much worse the cheaper model may look and still be suggested (default 0.05). */
  tolerance?: number;
  /** Good share the cheaper model needs when the expensive one has too few grades (default 0.8). */
  goodFloor?: number;
  /** Suggestions returned, largest saving first (default 5). */
  top?: number;
}

export interface Evidence {
  /** Where the numbers come from: this route, or the model on every route. */
  scope: 'route' | 'all-routes';
  requests: number;
  errorRate: number;
  graded: number;
  /** Share of graded requests judged good; null without grades. */
  goodShare: number | null;
  rated: number;
  avgRating: number | null;
}

export interface CostSuggestion {
  route: string | null;
  model: string;
  alternative: string;
  tier: Tier;
  requests: number;
  /** What the group cost, as recorded (all attempts included). */
  costNanos: number;
  /** The group's tokens priced at the current model, and at the alternative. */
  estimatedCostNanos: number;
  alternativeCostNanos: number;
  savingNanos: number;
  /** Saving as a share of the estimated cost. */
  savingShare: number;
  current: Evidence;
  alternativeEvidence: Evidence;
  /** Whether the comparison had graded requests on both sides, or only a floor to meet. */
  strength: 'compared' | 'floor';
  reason: string;
}

/** Capabilities that decide whether a model can stand in for another. */
const CANONICAL_CAPABILITIES = new Set([
  'chat',
  'code',
  'reasoning',
  'math',
  'summarization',
  'extraction',
  'classification',
  'creative',
  'embeddings',
  'vision',
  'tools',
]);

function evidence(row: UsageRow, scope: Evidence['scope']): Evidence {
  return {
    scope,
    requests: row.requests,
    errorRate: row.requests === 0 ? 0 : row.errors / row.requests,
    graded: row.graded,
    goodShare: row.graded === 0 ? null : row.gradedGood / row.graded,
    rated: row.rated,
    avgRating: row.rated === 0 ? null : row.ratingSum / row.rated,
  };
}

function covers(candidate: AdvisorModel, model: AdvisorModel): boolean {
  for (const capability of model.capabilities) {
    if (CANONICAL_CAPABILITIES.has(capability) && !candidate.capabilities.has(capability)) return false;
  }
  return true;
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

/**
 * Suggestions from usage rows grouped by `route` and `model` (`aggregate({by: ['route', 'model']})`
 * over the window to advise on), largest saving first.
 */
export function adviseCheaperModels(
  rows: readonly UsageRow[],
  models: ReadonlyMap<string, AdvisorModel>,
  options: OptimizerOptions = {},
): CostSuggestion[] {
  const minGraded = options.minGraded ?? 10;
  const tolerance = options.tolerance ?? 0.05;
  const goodFloor = options.goodFloor ?? 0.8;
  const top = options.top ?? 5;

  // Rows may carry a period too: fold them to one per (route, model), and one per model.
  const byRoute = new Map<string, UsageRow>();
  const byModel = new Map<string, UsageRow>();
  for (const row of rows) {
    const model = row.group.model;
    if (model === undefined || model === null) continue;
    const route = row.group.route ?? null;
    const key = JSON.stringify([route, model]);
    let routeRow = byRoute.get(key);
    if (routeRow === undefined) {
      routeRow = emptyUsageRow({ route, model });
      byRoute.set(key, routeRow);
    }
    addUsageRow(routeRow, row);
    let modelRow = byModel.get(model);
    if (modelRow === undefined) {
      modelRow = emptyUsageRow({ model });
      byModel.set(model, modelRow);
    }
    addUsageRow(modelRow, row);
  }

  const suggestions: CostSuggestion[] = [];
  for (const group of byRoute.values()) {
    const name = group.group.model as string;
    const route = group.group.route ?? null;
    const model = models.get(name);
    if (model === undefined || model.priced === false) continue;
    const tokens = {
      inputTokens: group.inputTokens,
      outputTokens: group.outputTokens,
      cachedInputTokens: group.cachedInputTokens,
      cacheWriteTokens: group.cacheWriteTokens,
      reasoningTokens: group.reasoningTokens,
    };
    const estimated = computeCostNanos(tokens, model.prices);
    if (estimated === 0) continue;
    const modelTotal = byModel.get(name) as UsageRow;
    const current =
      group.graded >= minGraded || modelTotal.graded < minGraded
        ? evidence(group, 'route')
        : evidence(modelTotal, 'all-routes');
    const compared = current.graded >= minGraded && current.goodShare !== null;
    const needed = compared ? (current.goodShare as number) - tolerance : goodFloor;

    let best: CostSuggestion | undefined;
    for (const candidate of models.values()) {
      if (candidate.name === name || candidate.tier !== model.tier || candidate.priced === false) continue;
      if (!covers(candidate, model)) continue;
      const alternativeCost = computeCostNanos(tokens, candidate.prices);
      const saving = estimated - alternativeCost;
      if (saving <= 0 || (best !== undefined && saving <= best.savingNanos)) continue;
      const onRoute = byRoute.get(JSON.stringify([route, candidate.name]));
      const everywhere = byModel.get(candidate.name);
      const theirs =
        onRoute !== undefined && onRoute.graded >= minGraded
          ? evidence(onRoute, 'route')
          : everywhere !== undefined && everywhere.graded >= minGraded
            ? evidence(everywhere, 'all-routes')
            : undefined;
      if (theirs === undefined || theirs.goodShare === null) continue;
      if (theirs.goodShare < needed || theirs.errorRate > current.errorRate + tolerance) continue;
      best = {
        route,
        model: name,
        alternative: candidate.name,
        tier: model.tier,
        requests: group.requests,
        costNanos: group.costNanos,
        estimatedCostNanos: estimated,
        alternativeCostNanos: alternativeCost,
        savingNanos: saving,
        savingShare: saving / estimated,
        current,
        alternativeEvidence: theirs,
        strength: compared ? 'compared' : 'floor',
        reason: explain(name, candidate.name, model.tier, current, theirs, compared, goodFloor),
      };
    }
    if (best !== undefined) suggestions.push(best);
  }
  return suggestions.sort((a, b) => b.savingNanos - a.savingNanos).slice(0, top);
}

function explain(
  model: string,
  alternative: string,
  tier: Tier,
  current: Evidence,
  theirs: Evidence,
  compared: boolean,
  goodFloor: number,
): string {
  const where = theirs.scope === 'route' ? 'on this route' : 'across routes';
  const theirsText =
    `${alternative} (also ${tier}) was judged good on ${percent(theirs.goodShare ?? 0)} of ` +
    `${theirs.graded} graded requests ${where}, ${percent(theirs.errorRate)} errors`;
  const oursText = compared
    ? `${model}: ${percent(current.goodShare ?? 0)} of ${current.graded}, ${percent(current.errorRate)} errors`
    : `${model} has too few graded requests (${current.graded}) to compare; ${alternative} clears the ${percent(goodFloor)} floor`;
  return `${theirsText}; ${oursText}`;
}
