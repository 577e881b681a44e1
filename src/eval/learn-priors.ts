/**
 * @module eval/learn-priors
 * What `switchyard eval` teaches a gateway, learned from training rows only: per-task model priors
 * (quality, cost) and, per learning group — each well-populated task on its own, the small ones
 * pooled as `*` — the cascade to deploy: its chain, its threshold and the verifier of its first
 * step, chosen as the cheapest cascade that keeps 95% of the strongest model's accuracy with a
 * margin of one standard error of the paired gap. The result is one priors document: what
 * `--save-priors` writes, what `routing.priors_file` loads into a gateway, and what the eval's
 * `fallback` replays run with, fold by fold.
 */

import { learnPriors, POOLED_TASK, type PriorObservation, type PriorsJson } from '../routing/priors.js';
import type { EvalRow } from './datasets.js';
import { type CascadeChoice, type LearnedCascades, learnCascades } from './frugal.js';
import { getOrInsert } from './memo.js';
import type { SignalCache } from './verifier.js';

/** Share of the strongest model's accuracy the deployed cascade keeps. */
export const TARGET_SHARE = 0.95;
/** Margin, in standard errors of the paired gap, that the training estimate must clear the target by. */
export const TARGET_MARGIN = 1;
/** Training tasks with fewer rows than this are pooled: too few to learn a cascade on their own. */
const MIN_TASK_ROWS = 40;

/** A learned cascade in the terms a route config and a gateway's verifier take, for the report. */
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

export interface LearningInput {
  train: readonly EvalRow[];
  models: readonly string[];
  cache: SignalCache;
  costOf(row: EvalRow, model: string): number;
}

/** Every scored (task, model) cell of the rows, for the quality and cost priors. */
export function observations(rows: readonly EvalRow[]): PriorObservation[] {
  const out: PriorObservation[] = [];
  for (const row of rows) {
    for (const [model, outcome] of Object.entries(row.outcomes)) {
      if (outcome.score === undefined) continue;
      out.push({
        task: row.task,
        model,
        score: outcome.score,
        ...(outcome.cost === undefined ? {} : { cost: outcome.cost }),
      });
    }
  }
  return out;
}

/** Training rows per learning group: each well-populated task on its own, the rest pooled. */
export function learningGroups(train: readonly EvalRow[]): Map<string, EvalRow[]> {
  const byTask = new Map<string, EvalRow[]>();
  for (const row of train) getOrInsert(byTask, row.task, () => []).push(row);
  const groups = new Map<string, EvalRow[]>();
  for (const [task, rows] of byTask) {
    const key = rows.length >= MIN_TASK_ROWS ? task : POOLED_TASK;
    groups.set(key, [...(groups.get(key) ?? []), ...rows]);
  }
  return groups;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export interface LearnedRouting {
  /** The priors to deploy: each group's cascade at the accuracy target. */
  json: PriorsJson;
  /** The same, per group, for the report. */
  routes: LearnedRoute[];
  /**
   * Priors whose cascades are instead the most accurate within `share` × the strongest model's
   * training cost (another operating point of the same learning, for cost–quality curves).
   */
  forBudget(share: number): PriorsJson;
}

interface Group {
  rows: EvalRow[];
  cascades: LearnedCascades;
  strongCost: number;
  strongAccuracy: number;
}

/** Priors with learned cascades and verifiers, learned on `input.train` alone. */
export function learnRoutingPriors(input: LearningInput): LearnedRouting {
  const base = learnPriors(observations(input.train));
  const groups = new Map<string, Group>();
  for (const [task, rows] of learningGroups(input.train)) {
    const cascades = learnCascades(task, rows, input.models, base, input.cache, input.costOf, {
      targetShare: TARGET_SHARE,
    });
    const scored = rows.filter((row) => row.outcomes[cascades.strong]?.score !== undefined);
    const n = Math.max(1, scored.length);
    groups.set(task, {
      rows,
      cascades,
      strongAccuracy: scored.reduce((s, row) => s + row.outcomes[cascades.strong]!.score!, 0) / n,
      strongCost: scored.reduce((s, row) => s + input.costOf(row, cascades.strong), 0) / n,
    });
  }
  const build = (choose: (group: Group) => CascadeChoice | undefined) => {
    const json: PriorsJson = { ...base.toJSON(), cascades: {}, verifiers: {} };
    const routes: LearnedRoute[] = [];
    for (const [task, group] of groups) {
      const choice = choose(group);
      if (choice === undefined) continue;
      const weights = group.cascades.verifier(choice).toWeights();
      // The threshold is a probability between two training predictions: enough digits to keep it there.
      const minConfidence = round(choice.threshold, 6);
      json.cascades![task] = { chain: [choice.model, choice.strong], minConfidence };
      json.verifiers![task] = { [choice.model]: weights };
      routes.push({
        task,
        strategy: 'fallback',
        chain: [choice.model, choice.strong],
        min_confidence: minConfidence,
        verifier: {
          model: choice.model,
          peers: [...weights.peers],
          features: ['(intercept)', ...weights.features],
          weights: [weights.intercept, ...weights.weights].map((w) => round(w, 6)),
        },
        train_accuracy: choice.trainAccuracy,
        train_cost_per_query: choice.trainCost,
        strongest: { model: choice.strong, accuracy: group.strongAccuracy, cost_per_query: group.strongCost },
      });
    }
    return { json, routes };
  };
  const target = build((group) => group.cascades.forTarget(TARGET_MARGIN));
  return {
    ...target,
    forBudget: (share) => build((group) => group.cascades.forBudget(share * group.strongCost)).json,
  };
}
