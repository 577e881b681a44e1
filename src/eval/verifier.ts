/**
 * @module eval/verifier
 * Fits the learned verifier the gateway runs (`execution/confidence/learned-verifier`): the
 * probability that a model's answer is right, from signals a gateway has right after the call —
 * the confidence scorers' contributions, the answer's shape (answer-features), which short answer
 * it gave, and how far it agrees with the answers of one or two cheap peer models asked the same
 * question. A logistic regression per (task, model, peers) turns those signals into a calibrated
 * probability (FrugalGPT's learned scorer, with features instead of a fine-tuned encoder), so one
 * `minConfidence` threshold means the same thing — "escalate when the answer is less likely than
 * this to be right" — on every task. Training features are computed by the runtime's own
 * `compileFeatures` over memoised per-row signals, so the weights mean at request time exactly
 * what they meant here.
 */

import { agreement } from '../execution/confidence/agreement.js';
import {
  ANSWER_FEATURES,
  answerFeatures,
  shortAnswerClass,
  wordOverlap,
} from '../execution/confidence/answer-features.js';
import type { Confidence } from '../execution/confidence/index.js';
import {
  type AnswerSignals,
  compileFeatures,
  FEATURE,
  scoresByScorer,
} from '../execution/confidence/learned-verifier.js';
import type { VerifierWeights } from '../routing/plan.js';
import type { EvalRow } from './datasets.js';
import { fitLogistic, type LogisticModel } from './logistic.js';
import { createRowMemo, getOrInsert } from './memo.js';

export interface VerifierSpec {
  /** The model whose answer is verified. */
  model: string;
  /** Models whose answers it is compared with (each is called, and paid for). */
  peers: readonly string[];
}

export interface Verifier extends VerifierSpec {
  /** Feature names, in order (for reports and for porting the weights into a gateway). */
  readonly features: readonly string[];
  /** Intercept first, then one weight per feature. */
  readonly weights: readonly number[];
  probability(row: EvalRow): number;
  /** The weights as the priors file and the gateway take them. */
  toWeights(): VerifierWeights;
}

/** The heuristic confidence scorers on a recorded answer, memoised (`replay.createScorerMemo`). */
export type ScoreAnswer = (row: EvalRow, model: string) => Confidence;

/** Memoised per-row signals shared by every verifier of a run. */
export interface SignalCache {
  /** The signals the runtime verifier reads, for `model`'s recorded answer on `row`. */
  signals(row: EvalRow, model: string): AnswerSignals;
  agreement(row: EvalRow, a: string, b: string): number;
  /** The heuristic confidence score of `model`'s answer (what a step without a verifier gets). */
  confidence(row: EvalRow, model: string): number;
}

export function createSignalCache(score: ScoreAnswer): SignalCache {
  const shapes = createRowMemo<number[]>();
  const agreements = createRowMemo<number>();
  const overlaps = createRowMemo<number>();
  const scored = createRowMemo<{ score: number; byScorer: ReadonlyMap<string, number> }>();
  const signalMemo = createRowMemo<AnswerSignals>();
  const responseOf = (row: EvalRow, model: string) => row.outcomes[model]?.response ?? '';
  const pair = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const agreementOf = (row: EvalRow, a: string, b: string) =>
    agreements(row, pair(a, b), () => agreement(responseOf(row, a), responseOf(row, b)));
  return {
    agreement: agreementOf,
    confidence: (row, model) => score(row, model).score,
    signals: (row, model) =>
      signalMemo(row, model, () => ({
        scored: () =>
          scored(row, model, () => {
            const confidence = score(row, model);
            return { score: confidence.score, byScorer: scoresByScorer(confidence) };
          }),
        shape: () => shapes(row, model, () => answerFeatures(row.prompt, responseOf(row, model))),
        answerClass: () => shortAnswerClass(responseOf(row, model)),
        agreement: (peer) => agreementOf(row, model, peer),
        overlap: (peer) =>
          overlaps(row, pair(model, peer), () => wordOverlap(responseOf(row, model), responseOf(row, peer))),
      })),
  };
}

/** Short answers given on at least this share of training rows get their own feature. */
const MIN_CLASS_SHARE = 0.03;
const MAX_CLASSES = 8;

/**
 * The features of one model's answer alone (scorers, shape, short-answer class), laid out on a set
 * of training rows. Shared by every verifier of that model — only the peer features differ — and
 * memoised per row.
 */
export interface AnswerLayout {
  model: string;
  names: readonly string[];
  vector(row: EvalRow): readonly number[];
}

export function answerLayout(model: string, train: readonly EvalRow[], cache: SignalCache): AnswerLayout {
  const scorerNames = new Set<string>();
  const classes = new Map<string, number>();
  for (const row of train) {
    const signals = cache.signals(row, model);
    for (const name of signals.scored().byScorer.keys()) scorerNames.add(name);
    const answerClass = signals.answerClass();
    if (answerClass !== undefined) classes.set(answerClass, (classes.get(answerClass) ?? 0) + 1);
  }
  const scorerList = [...scorerNames].sort();
  // The most frequent short answer is the baseline; the others get an indicator each.
  const classList = [...classes]
    .filter(([, n]) => n >= MIN_CLASS_SHARE * train.length)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(1, MAX_CLASSES + 1)
    .map(([name]) => name);
  const names = [
    FEATURE.confidence,
    ...scorerList.map(FEATURE.scorer),
    ...ANSWER_FEATURES,
    ...classList.map(FEATURE.answerClass),
  ];
  const features = compileFeatures(names);
  const vectors = new Map<EvalRow, number[]>();
  return {
    model,
    names,
    vector: (row) => getOrInsert(vectors, row, () => features(cache.signals(row, model))),
  };
}

interface FeatureLayout {
  names: string[];
  vector(row: EvalRow): number[];
}

function layoutFor(spec: VerifierSpec, answer: AnswerLayout, cache: SignalCache): FeatureLayout {
  const { model, peers } = spec;
  const peerNames = [
    ...peers.map(FEATURE.agrees),
    ...peers.map(FEATURE.overlap),
    ...(peers.length > 1 ? [FEATURE.agreesAll] : []),
  ];
  const peerFeatures = compileFeatures(peerNames, peers);
  return {
    names: [...answer.names, ...peerNames],
    vector: (row) => [...answer.vector(row), ...peerFeatures(cache.signals(row, model))],
  };
}

export interface FitVerifierOptions {
  /** L2 strength of the logistic regression, in pseudo-rows (default 4). */
  l2?: number;
}

/** A verifier's training data laid out once, so the fits of cross-validation share it. */
export interface VerifierDesign {
  spec: VerifierSpec;
  /** Feature names, constant features left out. */
  names: string[];
  /** Rows where the verified model has a score, with their feature vectors and targets. */
  rows: EvalRow[];
  x: number[][];
  y: number[];
  vector(row: EvalRow): number[];
}

/**
 * Lays out the features of `spec` on the rows where its model has a score. `answer` is the
 * model's answer layout when the caller shares one between verifiers (it must cover these rows).
 */
export function designVerifier(
  spec: VerifierSpec,
  train: readonly EvalRow[],
  cache: SignalCache,
  answer?: AnswerLayout,
): VerifierDesign {
  const rows = train.filter((row) => row.outcomes[spec.model]?.score !== undefined);
  const layout = layoutFor(spec, answer ?? answerLayout(spec.model, rows, cache), cache);
  const full = rows.map((row) => layout.vector(row));
  // A feature that never varies on the training rows carries nothing and only slows the fit.
  const kept: number[] = [];
  for (let j = 0; j < layout.names.length; j++) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of full) {
      min = Math.min(min, v[j]!);
      max = Math.max(max, v[j]!);
    }
    if (max - min > 1e-12) kept.push(j);
  }
  const select = (v: number[]) => kept.map((j) => v[j]!);
  return {
    spec,
    names: kept.map((j) => layout.names[j]!),
    rows,
    x: full.map(select),
    y: rows.map((row) => Math.min(1, Math.max(0, row.outcomes[spec.model]!.score!))),
    vector: (row) => select(layout.vector(row)),
  };
}

/** Fits the design's verifier on the given row positions (default: all of them). */
export function fitDesign(
  design: VerifierDesign,
  positions?: readonly number[],
  options: FitVerifierOptions = {},
): Verifier & { predictAt(position: number): number } {
  const at = positions ?? design.rows.map((_, i) => i);
  const model: LogisticModel = fitLogistic(
    at.map((i) => design.x[i]!),
    at.map((i) => design.y[i]!),
    { l2: options.l2 ?? 4 },
  );
  return {
    model: design.spec.model,
    peers: design.spec.peers,
    features: design.names,
    weights: model.weights,
    probability: (row) => model.predict(design.vector(row)),
    predictAt: (position) => model.predict(design.x[position]!),
    toWeights: () => ({
      peers: [...design.spec.peers],
      features: [...design.names],
      intercept: model.weights[0]!,
      weights: model.weights.slice(1),
    }),
  };
}

/** Fits a verifier on the training rows where the verified model has a score. */
export function fitVerifier(
  spec: VerifierSpec,
  train: readonly EvalRow[],
  cache: SignalCache,
  options: FitVerifierOptions = {},
): Verifier {
  return fitDesign(designVerifier(spec, train, cache), undefined, options);
}
