/**
 * @module eval/harness
 * `switchyard eval` without the terminal: replays a dataset through the routing methods and
 * returns the report. With a separate training set, everything is learned on it and measured on
 * the test set; without one, the test set is cross-fitted — split into k seeded folds, each fold
 * measured with what was learned on the others — so every number is out-of-sample and every row
 * is used. Methods are compared on the test rows where every model has a score (missing cells are
 * missing, not wrong); learning uses every observed cell.
 */

import { type PriorsJson, priorsFromJson } from '../routing/priors.js';
import type { EvalDataset, EvalRow } from './datasets.js';
import { type LearnedRoute, learnRoutingPriors } from './learn-priors.js';
import { DEPLOYED_SETTINGS, type FoldContext, METHODS, type MethodName, runMethods } from './methods.js';
import { aiq, apgr, cpt } from './metrics.js';
import { createProductStrategies } from './product-strategies.js';
import { createScorerMemo } from './replay.js';
import { kFolds } from './split.js';
import { createTallies, type EvalPoint } from './tally.js';
import { createSignalCache } from './verifier.js';

export type { EvalPoint };

export interface EvalOptions {
  /** Methods to run (default all); `single`, `oracle` and `random` always run. */
  strategies?: readonly string[];
  /** Folds when there is no training set (default 5). */
  folds?: number;
  seed?: number;
  /** Accuracy share of the best single model a strategy must keep (default 0.95). */
  targetAccuracy?: number;
  /** Share of the best single model's cost it may spend (default 0.7). */
  targetCost?: number;
  /** Progress: rows replayed by learned methods so far, and the total expected. */
  onProgress?(done: number, total: number): void;
  /** Told the priors learned on all the training rows (what `--save-priors` writes). */
  onLearnedPriors?(priors: PriorsJson): void;
}

export interface SingleModelResult {
  model: string;
  accuracy: number;
  cost_per_query: number;
}

export interface StrategySummary {
  strategy: string;
  /** The cheapest setting that keeps `targetAccuracy` of the best single model, if any. */
  best_point: EvalPoint | null;
  /** Its cost as a share of the best single model's. */
  cost_ratio: number | null;
  accuracy_ratio: number | null;
  pass: boolean;
  /**
   * The setting a gateway runs — `fallback` with the learned priors, `cheapest` with its default
   * tolerance — chosen from the training rows alone, so its figures carry no selection on the test
   * rows (unlike `best_point`, the cheapest of all settings that meets the accuracy target).
   */
  deployed: {
    setting: string;
    accuracy: number;
    cost_per_query: number;
    accuracy_ratio: number;
    cost_ratio: number;
    pass: boolean;
  } | null;
  /** Area under the non-decreasing hull over the single models' cost range, divided by its width. */
  aiq: number;
  /** Two-model datasets only. */
  apgr?: number;
  cpt50?: number | null;
  cpt80?: number | null;
}

export interface EvalReport {
  dataset: {
    name: string;
    format: string;
    rows: number;
    evaluated_rows: number;
    models: string[];
    tasks: string[];
    protocol: string;
    notes: string[];
  };
  single_models: SingleModelResult[];
  oracle: { accuracy: number; cost_per_query: number };
  points: EvalPoint[];
  summary: {
    best_single: SingleModelResult;
    cheapest_single: SingleModelResult;
    target: { accuracy: number; cost_per_query: number; accuracy_share: number; cost_share: number };
    strategies: StrategySummary[];
    /** True when `cheapest` or `fallback` as deployed (see `deployed`) meets both targets. */
    product_pass: boolean;
    /** The learned cascade to deploy per task, learned on all training rows (with `fallback`). */
    recommended: LearnedRoute[];
  };
}

/** Learned methods; `single`, `oracle` and `random` are baselines that always run. */
const BASELINES: readonly MethodName[] = ['single', 'oracle', 'random'];

function isComplete(row: EvalRow, models: readonly string[]): boolean {
  return models.every((m) => row.outcomes[m]?.score !== undefined);
}

function meanCosts(rows: readonly EvalRow[], models: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const model of models) {
    let sum = 0;
    let n = 0;
    for (const row of rows) {
      const cost = row.outcomes[model]?.cost;
      if (cost !== undefined) {
        sum += cost;
        n++;
      }
    }
    out.set(model, n > 0 ? sum / n : 0);
  }
  return out;
}

function selectedMethods(strategies: readonly string[] | undefined): Set<MethodName> {
  if (!strategies || strategies.length === 0) return new Set(METHODS);
  const known = new Set<string>(METHODS);
  const unknown = strategies.filter((s) => !known.has(s));
  if (unknown.length > 0) {
    throw new Error(`unknown strategy ${unknown.join(', ')}; known: ${METHODS.join(', ')}`);
  }
  return new Set([...BASELINES, ...(strategies as MethodName[])]);
}

/** Replays `test` (cross-fitted, or learning from `train`) and builds the report. */
export async function runEval(
  input: { test: EvalDataset; train?: EvalDataset },
  options: EvalOptions = {},
): Promise<EvalReport> {
  const { test, train } = input;
  const methods = selectedMethods(options.strategies);
  const models = test.models.filter((m) => !train || train.models.includes(m));
  if (models.length < 2) throw new Error('need at least two models present in both datasets');
  const evaluated = test.rows.filter((row) => isComplete(row, models));
  if (evaluated.length === 0) throw new Error(`${test.name}: no row has a score for every model`);
  const allRows = train ? [...train.rows, ...test.rows] : test.rows;
  const averageCost = meanCosts(allRows, models);
  const mostExpensive = [...averageCost].sort((a, b) => b[1] - a[1])[0]![0];
  const costOf = (row: EvalRow, model: string) => row.outcomes[model]?.cost ?? averageCost.get(model) ?? 0;

  const foldCount = options.folds ?? 5;
  const seed = options.seed ?? 1;
  const folds: { train: EvalRow[]; test: EvalRow[] }[] = [];
  if (train) {
    folds.push({ train: train.rows, test: evaluated });
  } else {
    const parts = kFolds(test.rows, foldCount, seed);
    parts.forEach((held, i) => {
      folds.push({
        train: parts.filter((_, j) => j !== i).flat(),
        test: held.filter((row) => isComplete(row, models)),
      });
    });
  }

  const tallies = createTallies();
  const cache = createSignalCache(createScorerMemo());
  const learnedMethods = [...methods].filter((m) => !BASELINES.includes(m)).length;
  const total = evaluated.length * Math.max(1, learnedMethods);
  let done = 0;
  for (const fold of folds) {
    // Everything a gateway would be given — priors, learned cascades, verifiers — from train alone.
    const learned = learnRoutingPriors({ train: fold.train, models, cache, costOf });
    const priors = priorsFromJson(learned.json);
    const context: FoldContext = {
      train: fold.train,
      test: fold.test,
      models,
      priors,
      product: createProductStrategies(models, priors, costOf),
      learned,
      productWith: (json) => createProductStrategies(models, priorsFromJson(json), costOf),
      mostExpensive,
      costOf,
      tallies,
    };
    for (const method of METHODS) {
      if (!methods.has(method)) continue;
      await runMethods(context, new Set([method]));
      if (!BASELINES.includes(method)) {
        done += fold.test.length;
        options.onProgress?.(done, total);
      }
    }
  }
  const learningRows = train ? train.rows : test.rows;
  const deployable = learnRoutingPriors({ train: learningRows, models, cache, costOf });
  options.onLearnedPriors?.(deployable.json);
  const report = buildReport(test, train, models, evaluated.length, tallies.points(), {
    protocol: train
      ? `learned on ${train.name} (${train.rows.length} rows), measured on ${test.name}`
      : `${foldCount}-fold cross-fitting (seed ${seed}): each fold measured with what was learned on the other ${foldCount - 1}`,
    targetAccuracy: options.targetAccuracy ?? 0.95,
    targetCost: options.targetCost ?? 0.7,
  });
  if (methods.has('fallback')) report.summary.recommended = deployable.routes;
  return report;
}

function buildReport(
  test: EvalDataset,
  train: EvalDataset | undefined,
  models: readonly string[],
  evaluatedRows: number,
  points: EvalPoint[],
  settings: { protocol: string; targetAccuracy: number; targetCost: number },
): EvalReport {
  const singles: SingleModelResult[] = points
    .filter((p) => p.strategy === 'single')
    .map((p) => ({ model: p.setting, accuracy: p.accuracy, cost_per_query: p.cost_per_query }));
  const bestSingle = [...singles].sort(
    (a, b) => b.accuracy - a.accuracy || a.cost_per_query - b.cost_per_query,
  )[0]!;
  const cheapestSingle = [...singles].sort(
    (a, b) => a.cost_per_query - b.cost_per_query || b.accuracy - a.accuracy,
  )[0]!;
  const oraclePoint = points.find((p) => p.strategy === 'oracle');
  const target = {
    accuracy: settings.targetAccuracy * bestSingle.accuracy,
    cost_per_query: settings.targetCost * bestSingle.cost_per_query,
    accuracy_share: settings.targetAccuracy,
    cost_share: settings.targetCost,
  };
  const range = {
    min: Math.min(...singles.map((s) => s.cost_per_query)),
    max: Math.max(...singles.map((s) => s.cost_per_query)),
  };
  const twoModel = models.length === 2;
  const weak = twoModel ? singles.find((s) => s.model !== bestSingle.model) : undefined;
  const strategies: StrategySummary[] = [];
  for (const strategy of new Set(points.map((p) => p.strategy))) {
    if (strategy === 'single' || strategy === 'oracle') continue;
    const own = points.filter((p) => p.strategy === strategy);
    // A small tolerance: accuracies are means over the same rows and print to three decimals.
    const meeting = own.filter((p) => p.accuracy >= target.accuracy - 1e-12);
    const best = [...meeting].sort(
      (a, b) => a.cost_per_query - b.cost_per_query || b.accuracy - a.accuracy,
    )[0];
    const deployedPoint = own.find((p) => p.setting === DEPLOYED_SETTINGS[strategy]);
    const summary: StrategySummary = {
      strategy,
      best_point: best ?? null,
      deployed:
        deployedPoint === undefined
          ? null
          : {
              setting: deployedPoint.setting,
              accuracy: deployedPoint.accuracy,
              cost_per_query: deployedPoint.cost_per_query,
              accuracy_ratio: deployedPoint.accuracy / bestSingle.accuracy,
              cost_ratio: deployedPoint.cost_per_query / bestSingle.cost_per_query,
              pass:
                deployedPoint.accuracy >= target.accuracy - 1e-12 &&
                deployedPoint.cost_per_query <= target.cost_per_query,
            },
      cost_ratio:
        best && bestSingle.cost_per_query > 0 ? best.cost_per_query / bestSingle.cost_per_query : null,
      accuracy_ratio: best && bestSingle.accuracy > 0 ? best.accuracy / bestSingle.accuracy : null,
      pass: best !== undefined && best.cost_per_query <= target.cost_per_query,
      aiq: aiq(
        own.map((p) => ({ cost: p.cost_per_query, quality: p.accuracy })),
        range,
      ),
    };
    if (twoModel && weak) {
      const shares = own.map((p) => ({ strongShare: p.strong_call_share, quality: p.accuracy }));
      summary.apgr = apgr(shares, weak.accuracy, bestSingle.accuracy);
      summary.cpt50 = cpt(shares, weak.accuracy, bestSingle.accuracy, 0.5);
      summary.cpt80 = cpt(shares, weak.accuracy, bestSingle.accuracy, 0.8);
    }
    strategies.push(summary);
  }
  const productPass = strategies.some(
    (s) => s.deployed?.pass === true && (s.strategy === 'cheapest' || s.strategy === 'fallback'),
  );
  return {
    dataset: {
      name: test.name,
      format: test.format,
      rows: test.rows.length,
      evaluated_rows: evaluatedRows,
      models: [...models],
      tasks: [...new Set(test.rows.map((r) => r.task))],
      protocol: settings.protocol,
      notes: [...test.notes, ...(train ? train.notes.map((n) => `train: ${n}`) : [])],
    },
    single_models: singles,
    oracle: { accuracy: oraclePoint?.accuracy ?? 0, cost_per_query: oraclePoint?.cost_per_query ?? 0 },
    points,
    summary: {
      best_single: bestSingle,
      cheapest_single: cheapestSingle,
      target,
      strategies,
      product_pass: productPass,
      recommended: [],
    },
  };
}
