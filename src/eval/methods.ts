/**
 * @module eval/methods
 * The routing methods `switchyard eval` compares, each swept over its knob to give cost–quality
 * points on one fold's test rows, with everything learned from that fold's training rows:
 * - `single`: every model alone; `oracle`: per prompt, the cheapest model that got it right;
 * - `random`: the cheapest and the strongest model mixed at random in rising proportion;
 * - `cheapest`: the product strategy with learned priors, over its quality tolerance;
 * - `fallback`: the product strategy with the learned priors file — its learned chain, verifier
 *   and threshold (`learned`, the setting a gateway deploys); then priors learned for a range of
 *   cost budgets; then the learned chain and verifier over a range of request thresholds;
 * - `agreement`: the notes' baseline — ask the two best cheap models, accept when they agree, else
 *   the strongest — as a `fallback` plan whose first step's verifier reads only their agreement.
 * Every plan comes from the product strategy and is replayed through the executor's cascade.
 */

import type { RoutePlan } from '../routing/plan.js';
import type { LearnedPriors, PriorsJson } from '../routing/priors.js';
import type { EvalRow } from './datasets.js';
import type { LearnedRouting } from './learn-priors.js';
import type { ProductStrategies } from './product-strategies.js';
import { replayPlan } from './replay.js';
import type { Tallies } from './tally.js';

export const METHODS = ['single', 'oracle', 'random', 'cheapest', 'fallback', 'agreement'] as const;
export type MethodName = (typeof METHODS)[number];

export interface FoldContext {
  train: readonly EvalRow[];
  /** Test rows on which every model has a score. */
  test: readonly EvalRow[];
  models: readonly string[];
  /** Priors learned on the fold's training rows, learned cascades and verifiers included. */
  priors: LearnedPriors;
  product: ProductStrategies;
  /** What was learned on the fold's training rows, for other operating points. */
  learned: LearnedRouting;
  /** The product strategies with other priors (e.g. learned for a budget). */
  productWith(priors: PriorsJson): ProductStrategies;
  /** The most expensive model over the whole dataset: calling it is a "strong call". */
  mostExpensive: string;
  costOf(row: EvalRow, model: string): number;
  tallies: Tallies;
}

export const RANDOM_SHARES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;
/** `qualityTolerance` of the cheapest strategy: the share of the best prior quality that is good enough. */
export const CHEAPEST_TOLERANCES = [1, 0.99, 0.98, 0.97, 0.96, 0.95, 0.93, 0.9, 0.85, 0.8, 0.7, 0.5] as const;
/** Cost budgets, as a share of the strongest model's training cost, to learn other cascades for. */
export const FALLBACK_BUDGETS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1] as const;
/** Request thresholds on the learned verifier's probability, with the learned chain. */
export const FALLBACK_THRESHOLDS = [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99] as const;

/**
 * The setting of each strategy a gateway runs without being told anything else: `fallback` with
 * the learned priors, `cheapest` with its default tolerance. Judged without looking at test rows.
 */
export const DEPLOYED_SETTINGS: Readonly<Record<string, string>> = {
  fallback: 'learned',
  cheapest: 'tolerance 0.95',
};

function percent(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

async function replayed(
  context: FoldContext,
  strategy: string,
  setting: string,
  order: number,
  plans: (row: EvalRow) => RoutePlan | undefined,
  product: ProductStrategies = context.product,
): Promise<void> {
  for (const row of context.test) {
    const plan = plans(row);
    if (plan === undefined) continue;
    const outcome = await replayPlan(plan, row, product.replay);
    context.tallies.add(strategy, setting, order, {
      score: outcome.score,
      cost: outcome.cost,
      strong: outcome.called.includes(context.mostExpensive),
    });
  }
}

function runSingles(context: FoldContext): void {
  context.models.forEach((model, order) => {
    for (const row of context.test) {
      context.tallies.add('single', model, order, {
        score: row.outcomes[model]?.score ?? 0,
        cost: context.costOf(row, model),
        strong: model === context.mostExpensive,
      });
    }
  });
}

function runOracle(context: FoldContext): void {
  for (const row of context.test) {
    let best: string | undefined;
    for (const model of context.models) {
      const score = row.outcomes[model]?.score ?? 0;
      const bestScore = best === undefined ? -1 : (row.outcomes[best]?.score ?? 0);
      if (
        score > bestScore ||
        (score === bestScore && context.costOf(row, model) < context.costOf(row, best!))
      ) {
        best = model;
      }
    }
    if (best !== undefined) {
      context.tallies.add('oracle', 'per-prompt best', 0, {
        score: row.outcomes[best]?.score ?? 0,
        cost: context.costOf(row, best),
        strong: best === context.mostExpensive,
      });
    }
  }
}

/** Cheapest and strongest by the priors over all tasks. */
function cheapestAndStrongest(context: FoldContext): { cheapest: string; strongest: string } {
  const stats = context.models.map((model) => ({ model, prior: context.priors.overall(model) }));
  const cheapest = [...stats].sort(
    (a, b) =>
      (a.prior?.costPerQuery ?? 0) - (b.prior?.costPerQuery ?? 0) ||
      (b.prior?.quality ?? 0) - (a.prior?.quality ?? 0),
  )[0]!.model;
  const strongest = [...stats].sort(
    (a, b) =>
      (b.prior?.quality ?? 0) - (a.prior?.quality ?? 0) ||
      (a.prior?.costPerQuery ?? 0) - (b.prior?.costPerQuery ?? 0),
  )[0]!.model;
  return { cheapest, strongest };
}

/** The expected outcome of a router that sends a share of prompts, at random, to the strongest. */
function runRandom(context: FoldContext): void {
  const { cheapest, strongest } = cheapestAndStrongest(context);
  RANDOM_SHARES.forEach((share, order) => {
    const sums = { score: 0, cost: 0, strong: 0, queries: 0 };
    for (const row of context.test) {
      const mix = (f: (model: string) => number) => (1 - share) * f(cheapest) + share * f(strongest);
      sums.score += mix((m) => row.outcomes[m]?.score ?? 0);
      sums.cost += mix((m) => context.costOf(row, m));
      sums.strong += mix((m) => (m === context.mostExpensive ? 1 : 0));
      sums.queries++;
    }
    context.tallies.addSums('random', `${percent(share)} to ${strongest}`, order, sums);
  });
}

async function runCheapest(context: FoldContext): Promise<void> {
  for (const [order, tolerance] of CHEAPEST_TOLERANCES.entries()) {
    await replayed(context, 'cheapest', `tolerance ${tolerance}`, order, (row) =>
      context.product.cheapest(row, tolerance),
    );
  }
}

async function runFallback(context: FoldContext): Promise<void> {
  let order = 0;
  await replayed(context, 'fallback', DEPLOYED_SETTINGS.fallback!, order++, (row) =>
    context.product.fallback(row),
  );
  for (const budget of FALLBACK_BUDGETS) {
    const product = context.productWith(context.learned.forBudget(budget));
    await replayed(
      context,
      'fallback',
      `learned for budget ${percent(budget)} of strongest`,
      order++,
      (row) => product.fallback(row),
      product,
    );
  }
  for (const minConfidence of FALLBACK_THRESHOLDS) {
    await replayed(context, 'fallback', `learned chain, min confidence ${minConfidence}`, order++, (row) =>
      context.product.fallback(row, { minConfidence }),
    );
  }
}

/** The best cheap model (by prior quality) and the next best, among models a quarter of the strongest's cost. */
function agreementPair(
  context: FoldContext,
  task: string,
): { first: string; peer: string; strong: string } | undefined {
  const stats = context.models.map((model) => {
    const prior = context.priors.get(task, model);
    return { model, quality: prior?.quality ?? 0, cost: prior?.costPerQuery ?? 0 };
  });
  const strong = [...stats].sort((a, b) => b.quality - a.quality || a.cost - b.cost)[0]!;
  const cheap = stats
    .filter((s) => s.model !== strong.model && s.cost <= strong.cost / 4)
    .sort((a, b) => b.quality - a.quality);
  if (cheap.length < 2) return undefined;
  return { first: cheap[0]!.model, peer: cheap[1]!.model, strong: strong.model };
}

/** A verifier that reads only agreement with `peer`: ≈1 when the two answers agree, ≈0 when not. */
function agreementVerifier(task: string, peer: string) {
  return { task, weights: { peers: [peer], features: [`agrees:${peer}`], intercept: -10, weights: [20] } };
}

async function runAgreement(context: FoldContext): Promise<void> {
  const pairs = new Map<string, ReturnType<typeof agreementPair>>();
  for (const row of context.test) {
    // Chosen by the priors of the row's task learned on train (a model's overall prior for an unseen task).
    if (!pairs.has(row.task)) pairs.set(row.task, agreementPair(context, row.task));
  }
  const { nameOf } = context.product.replay;
  await replayed(context, 'agreement', 'accept when the two agree', 0, (row) => {
    const pair = pairs.get(row.task);
    if (pair === undefined) return undefined;
    const plan = context.product.fallback(row, { chain: [pair.first, pair.strong], minConfidence: 0.5 });
    if (plan.kind !== 'sequence' || plan.attempts.length === 0) return plan;
    const [first, ...rest] = plan.attempts;
    return {
      ...plan,
      attempts: [
        { ...first!, verifier: agreementVerifier(row.task, nameOf(pair.peer)) },
        ...rest.map(({ verifier: _, ...step }) => step),
      ],
    };
  });
}

const RUNNERS: Record<MethodName, (context: FoldContext) => void | Promise<void>> = {
  single: runSingles,
  oracle: runOracle,
  random: runRandom,
  cheapest: runCheapest,
  fallback: runFallback,
  agreement: runAgreement,
};

/** Runs the selected methods on one fold, adding their outcomes to `context.tallies`. */
export async function runMethods(context: FoldContext, selected: ReadonlySet<MethodName>): Promise<void> {
  for (const method of METHODS) if (selected.has(method)) await RUNNERS[method](context);
}
