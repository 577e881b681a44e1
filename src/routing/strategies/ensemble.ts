/**
 * @module routing/strategies/ensemble
 * Several models answer in parallel and one answer is returned: the most confident (confidence ×
 * quality), the majority's (for short or structured answers, where agreement is exact), or a
 * synthesis written by an aggregator model. Members are the cheapest models that are strong
 * enough (tier at least the classified tier, topped up with the strongest of the rest), picked
 * from different model families first — three answers from one family agree for the wrong
 * reasons more often. With a budget, the members and the aggregator must fit it together.
 */

import { GatewayError } from '../../core/errors.js';
import { canonicalTask } from '../classify/tasks.js';
import type { PlannedAttempt, RoutePlan } from '../plan.js';
import {
  contextFor,
  describeRequest,
  formatUsd,
  type PlanContext,
  type PlanStrategy,
  rankingCost,
} from './plan-context.js';
import { budgetExceeded, describeSkips, nothingFits, screen } from './screen.js';

/** The same ceiling the request decoder enforces on `switchyard.ensemble_size`. */
export const MAX_ENSEMBLE_SIZE = 16;

type Select = 'confidence' | 'vote' | 'synthesize';

/** Vote where answers are short or structured enough to compare exactly; else the most confident. */
function defaultSelect(context: PlanContext): Select {
  if (context.route?.aggregator !== undefined) return 'synthesize';
  const task = canonicalTask(context.classification().task);
  if (task === 'classification' || task === 'math') return 'vote';
  const maxTokens = context.request.maxTokens;
  if (maxTokens !== undefined && maxTokens <= 16) return 'vote';
  return 'confidence';
}

function sizeOf(context: PlanContext): number {
  const size =
    context.request.routing?.ensembleSize ?? context.route?.models?.length ?? context.options.ensembleSize;
  if (!Number.isInteger(size) || size < 1 || size > MAX_ENSEMBLE_SIZE) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `ensemble size must be an integer from 1 to ${MAX_ENSEMBLE_SIZE}`,
      {
        details: { field: 'ensemble_size' },
      },
    );
  }
  return size;
}

export const ensemble: PlanStrategy = (request, candidates, snapshot, registry, given): RoutePlan => {
  const context = contextFor(request, candidates, snapshot, registry, given);
  if (context.operation === 'embeddings') {
    throw new GatewayError('INVALID_REQUEST', 'ensemble: embeddings requests cannot be ensembled', {
      details: { field: 'strategy' },
    });
  }
  const size = sizeOf(context);
  const screened = screen(context);
  if (screened.fit.length === 0) throw nothingFits(context, screened, 'ensemble');
  const { set } = context;
  const need = context.need();

  const { fit } = screened;
  const n = fit.length;
  // Strong enough: tier at least the classified one (or the highest tier there is, when none is).
  let minTier = need.minTier;
  let highest = 0;
  for (let k = 0; k < n; k++) highest = Math.max(highest, set.tier[fit[k]!]!);
  if (highest < minTier) minTier = highest;
  const strong = new Uint8Array(n);
  const rankCost = new Float64Array(n);
  const quality = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = fit[k]!;
    strong[k] = set.tier[i]! >= minTier ? 1 : 0;
    rankCost[k] = rankingCost(context, i, screened.cost[k]!);
    quality[k] = context.quality(i);
  }
  // The aggregator reads every member's answer: its prompt is the prompt plus their outputs.
  const select: Select = context.route?.select ?? defaultSelect(context);
  let aggregator: string | undefined;
  let aggregatorCost = 0;
  if (select === 'synthesize') {
    aggregator = context.route?.aggregator;
    if (aggregator === undefined) {
      let best = 0;
      for (let k = 1; k < n; k++) if (quality[k]! > quality[best]!) best = k;
      aggregator = set.models[fit[best]!]!.name;
    }
    const model = registry.get(aggregator);
    if (model === undefined) {
      throw new GatewayError('NOT_FOUND', `ensemble: unknown aggregator ${aggregator}`, {
        details: { field: 'aggregator' },
      });
    }
    const output = context.outputTokens();
    aggregatorCost =
      ((context.promptTokens + size * output) * model.prices.inputPerMTok +
        output * model.prices.outputPerMTok) /
      1e6;
  }

  // Members one at a time, each the best remaining by one linear scan (no sort of the list):
  // strong enough and of a new family (cheapest first), then strong enough (cheapest first),
  // then the strongest of the rest. Each must fit what is left of the budget.
  const max = context.maxCostUsd;
  const chosen: number[] = [];
  const taken = new Uint8Array(n);
  const familyUsed = new Uint8Array(set.families);
  let total = aggregatorCost;
  let overBudget = false;
  const take = (k: number): void => {
    chosen.push(k);
    taken[k] = 1;
    familyUsed[set.familyId[fit[k]!]!] = 1;
    total += screened.cost[k]!;
  };
  const NEW_FAMILY = 0;
  const STRONG = 1;
  const REST = 2;
  const pick = (pass: number): number => {
    let best = -1;
    for (let k = 0; k < n; k++) {
      if (taken[k] === 1) continue;
      if (pass === REST ? strong[k] === 1 : strong[k] === 0) continue;
      if (pass === NEW_FAMILY && familyUsed[set.familyId[fit[k]!]!] === 1) continue;
      if (max !== undefined && total + screened.cost[k]! > max) {
        overBudget = true;
        continue;
      }
      if (best === -1) {
        best = k;
        continue;
      }
      const cheaper =
        rankCost[k]! < rankCost[best]! || (rankCost[k] === rankCost[best] && quality[k]! > quality[best]!);
      const better =
        pass === REST ? quality[k]! > quality[best]! || (quality[k] === quality[best] && cheaper) : cheaper;
      if (better) best = k;
    }
    return best;
  };
  if (context.preferred !== undefined) {
    const at = fit.findIndex((i) => set.models[i]!.name === context.preferred);
    if (at >= 0 && (max === undefined || total + screened.cost[at]! <= max)) take(at);
  }
  for (const pass of [NEW_FAMILY, STRONG, REST]) {
    while (chosen.length < size) {
      const k = pick(pass);
      if (k === -1) break;
      take(k);
    }
  }
  if (chosen.length === 0) {
    let cheapest = 0;
    for (let k = 1; k < n; k++) if (screened.cost[k]! < screened.cost[cheapest]!) cheapest = k;
    throw budgetExceeded(context, 'ensemble', {
      model: set.models[fit[cheapest]!]!.name,
      estimatedCostUsd: screened.cost[cheapest]! + aggregatorCost,
    });
  }

  const members: PlannedAttempt[] = chosen.map((k) => {
    const i = fit[k]!;
    return {
      model: set.models[i]!.name,
      reason: `${strong[k] === 1 ? 'strong enough' : 'strongest of the rest'}, ${set.family[i]} family (${formatUsd(screened.cost[k]!)} est.)`,
    };
  });
  const notes: string[] = [];
  if (chosen.length < size) {
    notes.push(
      `${chosen.length} of ${size} members${overBudget || screened.skips.budget > 0 ? ' fit the budget' : ' could be found'}`,
    );
  }
  const skipped = describeSkips(screened.skips, need);
  if (skipped !== '') notes.push(skipped);
  return {
    kind: 'parallel',
    strategy: 'ensemble',
    members,
    select,
    ...(aggregator === undefined ? {} : { aggregator }),
    reason:
      `ensemble: ${describeRequest(context)}; ${members.map((m) => m.model).join(', ')} in parallel, ` +
      `select by ${select}${aggregator === undefined ? '' : ` (aggregator ${aggregator})`}, ${formatUsd(total)} est. in all` +
      (notes.length === 0 ? '' : `; ${notes.join('; ')}`),
  };
};
