/**
 * @module eval/frugal
 * Learns a two-step cascade the FrugalGPT way: which cheap model to ask first, which cheap peers
 * (if any) to verify its answer against, and the confidence threshold below which to escalate to
 * the strongest model — chosen on training rows to give the best accuracy under a cost budget, or
 * the lowest cost that keeps a share of the strongest model's accuracy. Choices are judged on
 * out-of-fold verifier predictions (each training row scored by a verifier that did not see it),
 * so the threshold picked on train carries over to new prompts, and each operating point mirrors
 * the gateway's cascade exactly (an escalated prompt keeps the cheap answer only when the strong
 * answer's heuristic confidence is lower). What is learned is expressed in the `fallback`
 * strategy's own terms — a `chain` and a `min_confidence` — plus the verifier that supplies the
 * confidence; `learn-priors` writes them into the priors a gateway loads.
 */

import type { LearnedPriors } from '../routing/priors.js';
import type { EvalRow } from './datasets.js';
import { getOrInsert } from './memo.js';
import { kFolds } from './split.js';
import {
  type AnswerLayout,
  answerLayout,
  designVerifier,
  fitDesign,
  type SignalCache,
  type Verifier,
  type VerifierDesign,
  type VerifierSpec,
} from './verifier.js';

export interface CascadeChoice extends VerifierSpec {
  strong: string;
  /** Escalate when the verifier's probability is below this. */
  threshold: number;
  /** Out-of-fold accuracy and mean cost per query on the training rows. */
  trainAccuracy: number;
  trainCost: number;
  /** Share of training rows escalated to the strong model. */
  trainEscalated: number;
  /**
   * Mean over the training rows of (the cascade's score − target share × the strong model's score),
   * and its standard error: paired, so the noise both sides share cancels.
   */
  gap: number;
  gapSe: number;
}

export interface LearnedCascades {
  strong: string;
  /** Every candidate operating point considered (for inspection and plots). */
  readonly candidates: readonly CascadeChoice[];
  /** The most accurate cascade whose training cost per query is at most `budget` USD. */
  forBudget(budget: number): CascadeChoice | undefined;
  /**
   * The cheapest cascade that keeps the target share of the strong model's accuracy with a margin
   * of `z` standard errors of the paired gap; the most accurate one when none does.
   */
  forTarget(z: number): CascadeChoice | undefined;
  /** The verifier for a choice, fitted on all training rows. */
  verifier(choice: VerifierSpec): Verifier;
}

export interface LearnCascadeOptions {
  /** Most first-step candidates tried (default 4). */
  maxFirst?: number;
  /** Most peer candidates tried per first step (default 3); pairs of them are tried too. */
  maxPeers?: number;
  /** Folds for the out-of-fold predictions (default 5). */
  innerFolds?: number;
  seed?: number;
  /** Share of the strong model's accuracy the target keeps (default 0.95). */
  targetShare?: number;
}

interface Stats {
  model: string;
  quality: number;
  cost: number;
}

/** Models no other cheaper-or-equal model beats on quality, cheapest first. */
function efficientFrontier(stats: readonly Stats[]): Stats[] {
  const sorted = [...stats].sort((a, b) => a.cost - b.cost || b.quality - a.quality);
  const frontier: Stats[] = [];
  for (const s of sorted) {
    if (frontier.length === 0 || s.quality > frontier[frontier.length - 1]!.quality) frontier.push(s);
  }
  return frontier;
}

/** Which (first, peers) pairs to try: efficient cheap models first, the best cheap ones as peers. */
export function cascadeCandidates(
  models: readonly string[],
  priors: LearnedPriors,
  task: string,
  options: LearnCascadeOptions = {},
): { strong: string; specs: VerifierSpec[] } {
  const stats: Stats[] = models.map((model) => {
    const prior = priors.get(task, model);
    return { model, quality: prior?.quality ?? 0, cost: prior?.costPerQuery ?? 0 };
  });
  const strong = [...stats].sort((a, b) => b.quality - a.quality || a.cost - b.cost)[0]!;
  const cheap = stats.filter((s) => s.model !== strong.model && s.cost < strong.cost);
  const frontier = efficientFrontier(cheap);
  const first = [...frontier].sort((a, b) => b.quality - a.quality).slice(0, options.maxFirst ?? 4);
  // Peers are paid on every query: prefer accurate ones among the cheap half.
  const cheapHalf = cheap.filter((s) => s.cost <= strong.cost / 4);
  const peerPool = [...(cheapHalf.length > 0 ? cheapHalf : cheap)].sort((a, b) => b.quality - a.quality);
  const specs: VerifierSpec[] = [];
  for (const f of first) {
    specs.push({ model: f.model, peers: [] });
    const peers = peerPool.filter((p) => p.model !== f.model).slice(0, options.maxPeers ?? 3);
    for (const p of peers) specs.push({ model: f.model, peers: [p.model] });
    for (let i = 0; i < peers.length; i++) {
      for (let j = i + 1; j < peers.length; j++)
        specs.push({ model: f.model, peers: [peers[i]!.model, peers[j]!.model] });
    }
  }
  return { strong: strong.model, specs };
}

function specKey(spec: VerifierSpec): string {
  return `${spec.model}\u0000${spec.peers.join('\u0000')}`;
}

/**
 * Every operating point of one (first, peers) → strong cascade on the training rows, from
 * out-of-fold probabilities: escalating the k least likely answers for each k. Mirrors the
 * executor's cascade: an escalated prompt keeps the cheap answer when it is more confident than
 * the strong model's answer is by the heuristic scorers (ties go to the strong model).
 */
function operatingPoints(
  spec: VerifierSpec,
  strong: string,
  rows: readonly EvalRow[],
  probabilities: readonly number[],
  costOf: (row: EvalRow, model: string) => number,
  strongConfidence: (row: EvalRow) => number,
  share: number,
): CascadeChoice[] {
  const n = rows.length;
  if (n === 0) return [];
  const order = probabilities.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const scoreOf = (row: EvalRow, model: string) => row.outcomes[model]?.score ?? 0;
  let cost = 0;
  let score = 0;
  // Sums of the paired gap d = score − share × strong score, and of d², for its standard error.
  let gap = 0;
  let gap2 = 0;
  for (const row of rows) {
    cost += costOf(row, spec.model) + spec.peers.reduce((s, peer) => s + costOf(row, peer), 0);
    score += scoreOf(row, spec.model);
    const d = scoreOf(row, spec.model) - share * scoreOf(row, strong);
    gap += d;
    gap2 += d * d;
  }
  // Escalating more always costs more: only points that also buy accuracy are kept.
  const points: CascadeChoice[] = [];
  let best = Number.NEGATIVE_INFINITY;
  const push = (k: number, threshold: number) => {
    if (score / n <= best) return;
    best = score / n;
    const mean = gap / n;
    points.push({
      ...spec,
      strong,
      threshold,
      trainAccuracy: score / n,
      trainCost: cost / n,
      trainEscalated: k / n,
      gap: mean,
      gapSe: Math.sqrt(Math.max(0, gap2 / n - mean * mean) / n),
    });
  };
  push(0, 0);
  for (let k = 1; k <= n; k++) {
    const { p, i } = order[k - 1]!;
    const row = rows[i]!;
    cost += costOf(row, strong);
    if (strongConfidence(row) >= p) {
      const before = scoreOf(row, spec.model) - share * scoreOf(row, strong);
      const after = (1 - share) * scoreOf(row, strong);
      score += scoreOf(row, strong) - scoreOf(row, spec.model);
      gap += after - before;
      gap2 += after * after - before * before;
    }
    const next = order[k]?.p;
    if (next !== undefined && next === p) continue; // no threshold separates equal probabilities
    push(k, next === undefined ? 1 : (p + next) / 2);
  }
  return points;
}

/**
 * Learns cascades for one task (or a pool of small tasks) on its training rows. Only rows where
 * the strong model and the candidate models all have scores take part.
 */
export function learnCascades(
  task: string,
  train: readonly EvalRow[],
  models: readonly string[],
  priors: LearnedPriors,
  cache: SignalCache,
  costOf: (row: EvalRow, model: string) => number,
  options: LearnCascadeOptions = {},
): LearnedCascades {
  const { strong, specs } = cascadeCandidates(models, priors, task, options);
  const share = options.targetShare ?? 0.95;
  const strongConfidence = (row: EvalRow) => cache.confidence(row, strong);
  const designs = new Map<string, VerifierDesign>();
  const fitted = new Map<string, Verifier>();
  const verifier = (spec: VerifierSpec): Verifier =>
    getOrInsert(fitted, specKey(spec), () =>
      fitDesign(getOrInsert(designs, specKey(spec), () => designVerifier(spec, train, cache))),
    );
  const candidates: CascadeChoice[] = [];
  const folds = options.innerFolds ?? 5;
  const foldOf = new Map<EvalRow, number>();
  kFolds(train, folds, options.seed ?? 7).forEach((fold, f) => {
    for (const row of fold) foldOf.set(row, f);
  });
  // The answer features of a first model are shared by all its specs; only the peers differ.
  const answers = new Map<string, AnswerLayout>();
  for (const spec of specs) {
    const needed = [spec.model, ...spec.peers, strong];
    const usable = train.filter((row) => needed.every((m) => row.outcomes[m]?.score !== undefined));
    const answer = getOrInsert(answers, spec.model, () =>
      answerLayout(
        spec.model,
        train.filter((row) => row.outcomes[spec.model]?.score !== undefined),
        cache,
      ),
    );
    const design = designVerifier(spec, usable, cache, answer);
    designs.set(specKey(spec), design);
    // Out-of-fold probabilities: each row scored by a verifier fitted without its fold.
    const fold = design.rows.map((row) => foldOf.get(row) ?? 0);
    const probabilities = new Array<number>(design.rows.length).fill(0);
    for (let f = 0; f < folds; f++) {
      const rest: number[] = [];
      const held: number[] = [];
      for (let i = 0; i < fold.length; i++) (fold[i] === f ? held : rest).push(i);
      if (rest.length === 0 || held.length === 0) continue;
      const fit = fitDesign(design, rest);
      for (const i of held) probabilities[i] = fit.predictAt(i);
    }
    candidates.push(
      ...operatingPoints(spec, strong, design.rows, probabilities, costOf, strongConfidence, share),
    );
  }
  const better = (a: CascadeChoice, b: CascadeChoice | undefined) =>
    !b ||
    a.trainAccuracy > b.trainAccuracy ||
    (a.trainAccuracy === b.trainAccuracy && a.trainCost < b.trainCost);
  return {
    strong,
    candidates,
    forBudget(budget) {
      let best: CascadeChoice | undefined;
      for (const c of candidates) if (c.trainCost <= budget && better(c, best)) best = c;
      return best;
    },
    forTarget(z) {
      let best: CascadeChoice | undefined;
      let mostAccurate: CascadeChoice | undefined;
      for (const c of candidates) {
        if (better(c, mostAccurate)) mostAccurate = c;
        if (c.gap >= z * c.gapSe && (!best || c.trainCost < best.trainCost)) best = c;
      }
      return best ?? mostAccurate;
    },
    verifier,
  };
}
