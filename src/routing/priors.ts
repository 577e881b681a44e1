/**
 * @module routing/priors
 * Learned per-task model quality and cost, the `Priors` that cost/quality strategies read from the
 * routing snapshot. Learned from outcomes — an offline dataset (`switchyard eval --train`) or the
 * ledger with feedback — as the mean score and mean cost per (task, model). A task with few
 * observations says little on its own, so each estimate is shrunk towards the model's overall mean
 * with a Beta prior worth `strength` pseudo-observations (and each model's overall mean towards the
 * mean of all models): five lucky answers do not make a small model the best on a task.
 * Priors learned by `switchyard eval --train` may also carry, per task, a learned cascade (the
 * chain and threshold `fallback` runs) and learned verifiers (the confidence of a model's answers);
 * a task without its own falls back to the pool of small tasks, `*`.
 */

import type { LearnedCascade, ModelPrior, Priors, VerifierWeights } from './plan.js';

/** One graded answer: the model, the task it was asked, how good (0..1) and what it cost (USD). */
export interface PriorObservation {
  task: string;
  model: string;
  score: number;
  cost?: number;
}

export interface LearnPriorsOptions {
  /** Pseudo-observations of the shrinkage prior (default 8). 0 gives the raw means. */
  strength?: number;
}

/** Priors as JSON, to save what `eval --train` learned and load it into a gateway (`routing.priors_file`). */
export interface PriorsJson {
  strength: number;
  models: Record<string, SerializedPrior>;
  tasks: Record<string, Record<string, SerializedPrior>>;
  /** Learned cascades by task (`*`: the pool of tasks too small to learn alone). */
  cascades?: Record<string, LearnedCascade>;
  /** Learned verifiers by task, then by the model whose answers they verify. */
  verifiers?: Record<string, Record<string, VerifierWeights>>;
}

/** The pool of tasks too small to learn a cascade alone; also what an unseen task falls back to. */
export const POOLED_TASK = '*';

interface SerializedPrior {
  quality: number;
  costPerQuery?: number;
  samples: number;
}

export interface LearnedPriors extends Required<Priors> {
  /** Every model with at least one observation. */
  models(): string[];
  /** The model's prior over all tasks. */
  overall(model: string): ModelPrior | undefined;
  toJSON(): PriorsJson;
}

interface Tally {
  scoreSum: number;
  samples: number;
  costSum: number;
  costSamples: number;
}

const DEFAULT_STRENGTH = 8;

function emptyTally(): Tally {
  return { scoreSum: 0, samples: 0, costSum: 0, costSamples: 0 };
}

function add(tally: Tally, observation: PriorObservation): void {
  if (Number.isFinite(observation.score)) {
    tally.scoreSum += Math.min(1, Math.max(0, observation.score));
    tally.samples++;
  }
  if (observation.cost !== undefined && Number.isFinite(observation.cost)) {
    tally.costSum += observation.cost;
    tally.costSamples++;
  }
}

function getOrInsert<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

function shrink(sum: number, n: number, mean: number, strength: number): number {
  return n + strength === 0 ? mean : (sum + strength * mean) / (n + strength);
}

/** Learns per-(task, model) priors from graded outcomes. */
export function learnPriors(
  observations: Iterable<PriorObservation>,
  options: LearnPriorsOptions = {},
): LearnedPriors {
  const strength = options.strength ?? DEFAULT_STRENGTH;
  const byModel = new Map<string, Tally>();
  const byTask = new Map<string, Map<string, Tally>>();
  const all = emptyTally();
  for (const observation of observations) {
    const model = getOrInsert(byModel, observation.model, emptyTally);
    const cell = getOrInsert(
      getOrInsert(byTask, observation.task, () => new Map<string, Tally>()),
      observation.model,
      emptyTally,
    );
    add(model, observation);
    add(cell, observation);
    add(all, observation);
  }
  const globalQuality = all.samples > 0 ? all.scoreSum / all.samples : 0.5;
  const json: PriorsJson = { strength, models: {}, tasks: {} };
  const overall = new Map<string, ModelPrior>();
  for (const [name, tally] of byModel) {
    const modelCost = tally.costSamples > 0 ? tally.costSum / tally.costSamples : undefined;
    const prior: ModelPrior = {
      quality: shrink(tally.scoreSum, tally.samples, globalQuality, strength),
      samples: tally.samples,
      ...(modelCost === undefined ? {} : { costPerQuery: modelCost }),
    };
    overall.set(name, prior);
    json.models[name] = prior;
  }
  for (const [task, models] of byTask) {
    const entries: Record<string, SerializedPrior> = {};
    for (const [name, tally] of models) {
      const base = overall.get(name)!;
      const entry: SerializedPrior = {
        quality: shrink(tally.scoreSum, tally.samples, base.quality, strength),
        samples: tally.samples,
      };
      // Costs vary with the task's prompt lengths more than by luck: shrink them lightly.
      if (tally.costSamples > 0 || base.costPerQuery !== undefined) {
        entry.costPerQuery =
          base.costPerQuery === undefined
            ? tally.costSum / tally.costSamples
            : shrink(tally.costSum, tally.costSamples, base.costPerQuery, Math.min(strength, 1));
      }
      entries[name] = entry;
    }
    json.tasks[task] = entries;
  }
  return priorsFromJson(json);
}

/** Rebuilds priors saved with `toJSON()`. */
export function priorsFromJson(json: PriorsJson): LearnedPriors {
  const tasks = new Map<string, Map<string, ModelPrior>>();
  for (const [task, models] of Object.entries(json.tasks)) {
    tasks.set(task, new Map(Object.entries(models)));
  }
  const models = new Map<string, ModelPrior>(Object.entries(json.models));
  const cascades = new Map<string, LearnedCascade>(Object.entries(json.cascades ?? {}));
  const verifiers = new Map<string, Map<string, VerifierWeights>>();
  for (const [task, byModel] of Object.entries(json.verifiers ?? {})) {
    verifiers.set(task, new Map(Object.entries(byModel)));
  }
  return {
    get: (task, model) => tasks.get(task)?.get(model) ?? models.get(model),
    tasks: () => [...tasks.keys()],
    cascade: (task) => cascades.get(task) ?? cascades.get(POOLED_TASK),
    verifier: (task, model) => (verifiers.get(task) ?? verifiers.get(POOLED_TASK))?.get(model),
    models: () => [...models.keys()],
    overall: (model) => models.get(model),
    toJSON: () => json,
  };
}

/**
 * A ledger record reduced to what priors need. `quality` is the caller's 0..1 reading of the
 * request's feedback (e.g. thumbs up = 1) or, lacking feedback, of its confidence; records with
 * neither still teach the cost.
 */
export interface LedgerOutcome {
  model?: string;
  task?: string;
  status: 'ok' | 'error' | 'cancelled';
  /** Total cost in nano-dollars, as the ledger stores it. */
  costNanos: number;
  quality?: number;
  confidence?: number;
}

/**
 * Priors from the gateway's own history. Failed and cancelled requests say nothing about answer
 * quality and are skipped; records without a task count under `default`.
 */
export function priorsFromLedger(
  records: Iterable<LedgerOutcome>,
  options: LearnPriorsOptions = {},
): LearnedPriors {
  const graded: PriorObservation[] = [];
  const costOnly = new Map<string, { sum: number; n: number }>();
  for (const record of records) {
    if (record.status !== 'ok' || record.model === undefined) continue;
    const task = record.task ?? 'default';
    const quality = record.quality ?? record.confidence;
    const cost = record.costNanos / 1e9;
    if (quality === undefined) {
      const key = `${task}\u0000${record.model}`;
      const entry = costOnly.get(key) ?? { sum: 0, n: 0 };
      entry.sum += cost;
      entry.n++;
      costOnly.set(key, entry);
      continue;
    }
    graded.push({ task, model: record.model, score: quality, cost });
  }
  const learned = learnPriors(graded, options);
  if (costOnly.size === 0) return learned;
  // Ungraded traffic still tells what a model costs on a task; fold it in where the quality is known.
  const json = learned.toJSON();
  for (const [key, { sum, n }] of costOnly) {
    const [task, model] = key.split('\u0000') as [string, string];
    const entry = json.tasks[task]?.[model];
    if (!entry) continue;
    const gradedCost = entry.costPerQuery === undefined ? 0 : entry.costPerQuery * entry.samples;
    const gradedN = entry.costPerQuery === undefined ? 0 : entry.samples;
    entry.costPerQuery = (gradedCost + sum) / (gradedN + n);
  }
  return priorsFromJson(json);
}
