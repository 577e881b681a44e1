/**
 * @module eval/methods
 * The routing methods `switchyard eval` compares, each swept over its knob to give cost–quality
 * points on one fold's test rows, with everything learned from that fold's training rows:
 * - `single`: every model alone; `oracle`: per prompt, the cheapest model that got it right;
 * - `random`: the cheapest and the strongest model mixed at random in rising proportion;
 * - `cheapest`: the product strategy with learned priors, over its quality tolerance;
 * - `fallback`: the product strategy (cheap first, escalate on low confidence) over its threshold;
 * - `agreement`: ask the two best cheap models, accept when they agree, else the strongest;
 * - `frugal`: the learned cascade (eval/frugal) over a cost budget, plus the setting that targets
 *   95% of the strongest model's accuracy — a `fallback` plan with a learned verifier.
 */

import type { LearnedPriors } from '../routing/priors.js';
import type { EvalRow } from './datasets.js';
import { type CascadeChoice, type LearnedCascades, learnCascades } from './frugal.js';
import { getOrInsert } from './memo.js';
import type { ProductStrategies } from './product-strategies.js';
import { type ReplayJudge, replayPlan } from './replay.js';
import type { Tallies } from './tally.js';
import { createVerifierJudge, type SignalCache } from './verifier.js';

export const METHODS = ['single', 'oracle', 'random', 'cheapest', 'fallback', 'agreement', 'frugal'] as const;
export type MethodName = (typeof METHODS)[number];

export interface FoldContext {
  train: readonly EvalRow[];
  /** Test rows on which every model has a score. */
  test: readonly EvalRow[];
  models: readonly string[];
  priors: LearnedPriors;
  product: ProductStrategies;
  cache: SignalCache;
  /** The most expensive model over the whole dataset: calling it is a "strong call". */
  mostExpensive: string;
  costOf(row: EvalRow, model: string): number;
  tallies: Tallies;
}

/** Training tasks with fewer rows than this are pooled: too few to learn a cascade on their own. */
const MIN_TASK_ROWS = 40;
const POOLED = '';

export const RANDOM_SHARES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;
/** `qualityTolerance` of the cheapest strategy: the share of the best prior quality that is good enough. */
export const CHEAPEST_TOLERANCES = [1, 0.99, 0.98, 0.97, 0.96, 0.95, 0.93, 0.9, 0.85, 0.8, 0.7, 0.5] as const;
export const FALLBACK_THRESHOLDS = [0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99] as const;
export const AGREEMENT_THRESHOLDS = [0.5, 0.75, 1] as const;
/** Budgets as a share of the strongest model's mean cost per query on the training rows. */
export const FRUGAL_BUDGETS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1] as const;
/**
 * The deployable setting: the cheapest cascade whose training accuracy clears 95% of the strongest
 * model's by one standard error of that estimate, so that it still clears it on new prompts.
 */
export const FRUGAL_TARGET = 0.95;

function percent(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function record(
  context: FoldContext,
  strategy: string,
  setting: string,
  order: number,
  outcome: { score: number; cost: number; called: readonly string[] },
): void {
  context.tallies.add(strategy, setting, order, {
    score: outcome.score,
    cost: outcome.cost,
    strong: outcome.called.includes(context.mostExpensive),
  });
}

function runSingles(context: FoldContext): void {
  context.models.forEach((model, order) => {
    for (const row of context.test) {
      record(context, 'single', model, order, {
        score: row.outcomes[model]?.score ?? 0,
        cost: context.costOf(row, model),
        called: [model],
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
      record(context, 'oracle', 'per-prompt best', 0, {
        score: row.outcomes[best]?.score ?? 0,
        cost: context.costOf(row, best),
        called: [best],
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

function runCheapest(context: FoldContext): void {
  CHEAPEST_TOLERANCES.forEach((tolerance, order) => {
    for (const row of context.test) {
      const plan = context.product.cheapest(row, tolerance);
      record(
        context,
        'cheapest',
        `tolerance ${tolerance}`,
        order,
        replayPlan(plan, row, context.product.replay),
      );
    }
  });
}

function runFallback(context: FoldContext): void {
  FALLBACK_THRESHOLDS.forEach((threshold, order) => {
    for (const row of context.test) {
      const plan = context.product.fallback(row, threshold);
      record(
        context,
        'fallback',
        `min confidence ${threshold}`,
        order,
        replayPlan(plan, row, context.product.replay),
      );
    }
  });
}

function groupByTask(rows: readonly EvalRow[]): Map<string, EvalRow[]> {
  const byTask = new Map<string, EvalRow[]>();
  for (const row of rows) {
    getOrInsert(byTask, row.task, () => []).push(row);
  }
  return byTask;
}

/** Training rows per learning group: each well-populated task on its own, the rest pooled. */
function learningGroups(train: readonly EvalRow[]): Map<string, EvalRow[]> {
  const groups = new Map<string, EvalRow[]>();
  for (const [task, rows] of groupByTask(train)) {
    const key = rows.length >= MIN_TASK_ROWS ? task : POOLED;
    groups.set(key, [...(groups.get(key) ?? []), ...rows]);
  }
  return groups;
}

/** The learning group a test row's task falls in: its own, else the pool, else any. */
function groupKey(groups: ReadonlyMap<string, unknown>, task: string): string {
  if (groups.has(task)) return task;
  if (groups.has(POOLED)) return POOLED;
  return groups.keys().next().value ?? task;
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

function runAgreement(context: FoldContext): void {
  const pairs = new Map<string, ReturnType<typeof agreementPair>>();
  for (const task of learningGroups(context.train).keys()) pairs.set(task, agreementPair(context, task));
  AGREEMENT_THRESHOLDS.forEach((threshold, order) => {
    for (const row of context.test) {
      const pair = pairs.get(groupKey(pairs, row.task));
      if (!pair) continue;
      const judge: ReplayJudge = {
        peersOf: (_row, model) => (model === pair.first ? [pair.peer] : []),
        // The strongest model's answer is final: full confidence.
        confidence: (r, model) =>
          model === pair.first ? context.cache.agreement(r, pair.first, pair.peer) : 1,
      };
      const plan = context.product.fallback(row, threshold, [pair.first, pair.strong]);
      const outcome = replayPlan(plan, row, { judge, costOf: context.costOf });
      record(context, 'agreement', `agreement ≥ ${threshold}`, order, outcome);
    }
  });
}

interface Learned {
  cascades: LearnedCascades;
  /** The strongest model's mean cost and accuracy on the training rows, and how many rows. */
  strongCost: number;
  strongAccuracy: number;
  rows: number;
}

/** `accuracy` plus one standard error of an accuracy measured on `rows` rows. */
function withMargin(accuracy: number, rows: number): number {
  return accuracy + Math.sqrt((accuracy * (1 - accuracy)) / Math.max(1, rows));
}

type LearningInput = Pick<FoldContext, 'train' | 'models' | 'priors' | 'cache' | 'costOf'>;

/** Cascades learned per learning group (each well-populated task, and the pool of small ones). */
function learnFrugal(input: LearningInput): Map<string, Learned> {
  const learned = new Map<string, Learned>();
  for (const [task, rows] of learningGroups(input.train)) {
    const cascades = learnCascades(task, rows, input.models, input.priors, input.cache, input.costOf);
    const scored = rows.filter((row) => row.outcomes[cascades.strong]?.score !== undefined);
    const strongAccuracy =
      scored.reduce((s, row) => s + row.outcomes[cascades.strong]!.score!, 0) / Math.max(1, scored.length);
    const strongCost =
      scored.reduce((s, row) => s + input.costOf(row, cascades.strong), 0) / Math.max(1, scored.length);
    learned.set(task, { cascades, strongCost, strongAccuracy, rows: scored.length });
  }
  return learned;
}

/** The deployable choice: cheapest cascade clearing the target with a margin, else the most accurate. */
function targetChoice(l: Learned): CascadeChoice | undefined {
  return (
    l.cascades.forAccuracy(withMargin(FRUGAL_TARGET * l.strongAccuracy, l.rows)) ??
    l.cascades.forBudget(Number.POSITIVE_INFINITY)
  );
}

/** A learned cascade in the terms a route config and a gateway's verifier would take. */
export interface LearnedRoute {
  /** The task it was learned for (`*` for the pool of tasks too small to learn alone). */
  task: string;
  strategy: 'fallback';
  chain: string[];
  min_confidence: number;
  /** The verifier that gives the first step's confidence: peers to ask, feature weights. */
  verifier: { model: string; peers: string[]; features: string[]; weights: number[] };
  train_accuracy: number;
  train_cost_per_query: number;
  strongest: { model: string; accuracy: number; cost_per_query: number };
}

/** The cascade to deploy per task, learned on all of `input.train` (the target setting). */
export function recommendRoutes(input: LearningInput): LearnedRoute[] {
  const routes: LearnedRoute[] = [];
  for (const [task, l] of learnFrugal(input)) {
    const choice = targetChoice(l);
    if (!choice) continue;
    const verifier = l.cascades.verifier(choice);
    routes.push({
      task: task === POOLED ? '*' : task,
      strategy: 'fallback',
      chain: [choice.model, choice.strong],
      min_confidence: Math.round(choice.threshold * 1e4) / 1e4,
      verifier: {
        model: choice.model,
        peers: [...choice.peers],
        features: ['(intercept)', ...verifier.features],
        weights: verifier.weights.map((w) => Math.round(w * 1e6) / 1e6),
      },
      train_accuracy: choice.trainAccuracy,
      train_cost_per_query: choice.trainCost,
      strongest: { model: choice.strong, accuracy: l.strongAccuracy, cost_per_query: l.strongCost },
    });
  }
  return routes;
}

function runFrugal(context: FoldContext): void {
  const learned = learnFrugal(context);
  const settings: { setting: string; choose(l: Learned): CascadeChoice | undefined }[] = [
    ...FRUGAL_BUDGETS.map((budget) => ({
      setting: `budget ${percent(budget)} of strongest`,
      choose: (l: Learned) => l.cascades.forBudget(budget * l.strongCost),
    })),
    { setting: `target ${percent(FRUGAL_TARGET)} of strongest`, choose: targetChoice },
  ];
  settings.forEach(({ setting, choose }, order) => {
    // Per learning group: the chosen cascade and the judge that reads its verifier.
    const chosen = new Map<string, { choice: CascadeChoice; judge: ReplayJudge } | undefined>();
    for (const row of context.test) {
      const group = groupKey(learned, row.task);
      const entry = getOrInsert(chosen, group, () => {
        const l = learned.get(group)!;
        const choice = choose(l);
        if (!choice) return undefined;
        const prior = (model: string) => context.priors.get(group, model)?.quality ?? 0;
        return { choice, judge: createVerifierJudge([l.cascades.verifier(choice)], prior) };
      });
      if (!entry) continue;
      // The learned cascade is the fallback strategy with a chain and a min_confidence.
      const plan = context.product.fallback(row, entry.choice.threshold, [
        entry.choice.model,
        entry.choice.strong,
      ]);
      record(
        context,
        'frugal',
        setting,
        order,
        replayPlan(plan, row, { judge: entry.judge, costOf: context.costOf }),
      );
    }
  });
}

const RUNNERS: Record<MethodName, (context: FoldContext) => void> = {
  single: runSingles,
  oracle: runOracle,
  random: runRandom,
  cheapest: runCheapest,
  fallback: runFallback,
  agreement: runAgreement,
  frugal: runFrugal,
};

/** Runs the selected methods on one fold, adding their outcomes to `context.tallies`. */
export function runMethods(context: FoldContext, selected: ReadonlySet<MethodName>): void {
  for (const method of METHODS) if (selected.has(method)) RUNNERS[method](context);
}
