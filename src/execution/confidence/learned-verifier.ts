/**
 * @module execution/confidence/learned-verifier
 * The learned verifier at request time: the probability that an answer is right, from a logistic
 * regression over named features of the answer — the heuristic scorers' outputs (`confidence`,
 * `scorer:hedging`…), its shape (`answer-features`), which short answer it gave (`answer=b`) and
 * how far it agrees with the answers of the peer models asked alongside (`agrees:M`, `overlap:M`,
 * `agrees:all`). `switchyard eval` fits the weights per (task, model) and computes its training
 * features through `compileFeatures` here, so a feature means the same thing when learned and
 * when run. A red flag the verifier never saw in training (a refusal on a multiple-choice task)
 * still caps the score, as it does for the heuristic scorer.
 */

import type { ChatRequest, ChatResult } from '../../core/chat.js';
import type { VerifierWeights } from '../../routing/plan.js';
import { agreement } from './agreement.js';
import { ANSWER_FEATURES, answerFeatures, shortAnswerClass, wordOverlap } from './answer-features.js';
import type { Confidence } from './index.js';
import { answerText } from './scorers.js';

/** Feature names, built here so that the trainer and the runtime spell them alike. */
export const FEATURE = {
  confidence: 'confidence',
  agreesAll: 'agrees:all',
  scorer: (name: string) => `scorer:${name}`,
  answerClass: (answer: string) => `answer=${answer}`,
  agrees: (peer: string) => `agrees:${peer}`,
  overlap: (peer: string) => `overlap:${peer}`,
} as const;

/** What the features of one answer are computed from; lazy, so a trainer can memoise each part. */
export interface AnswerSignals {
  /** The heuristic scorers: the combined score and each scorer's score. */
  scored(): { score: number; byScorer: ReadonlyMap<string, number> };
  /** `answerFeatures(prompt, answer)`, in the order of ANSWER_FEATURES. */
  shape(): readonly number[];
  answerClass(): string | undefined;
  agreement(peer: string): number;
  overlap(peer: string): number;
}

type Extract = (signals: AnswerSignals) => number;

const SHAPE_INDEX: ReadonlyMap<string, number> = new Map(ANSWER_FEATURES.map((name, i) => [name, i]));

function extractor(name: string, peers: readonly string[]): Extract | undefined {
  if (name === FEATURE.confidence) return (s) => s.scored().score;
  if (name === FEATURE.agreesAll) {
    return (s) => {
      let all = 1;
      for (const peer of peers) all *= s.agreement(peer);
      return all;
    };
  }
  const shape = SHAPE_INDEX.get(name);
  if (shape !== undefined) return (s) => s.shape()[shape]!;
  const colon = name.indexOf(':');
  const kind = colon === -1 ? '' : name.slice(0, colon);
  const arg = name.slice(colon + 1);
  // A scorer that did not run (e.g. `json` on a request that asked for no JSON) raised no flag.
  if (kind === 'scorer') return (s) => s.scored().byScorer.get(arg) ?? 1;
  if (kind === 'agrees' && peers.includes(arg)) return (s) => s.agreement(arg);
  if (kind === 'overlap' && peers.includes(arg)) return (s) => s.overlap(arg);
  if (name.startsWith('answer=')) {
    const answer = name.slice('answer='.length);
    return (s) => (s.answerClass() === answer ? 1 : 0);
  }
  return undefined;
}

/**
 * Compiles feature names into one function that computes them, in order. Throws on a name it
 * does not know (or a peer feature for a model not among `peers`), naming it.
 */
export function compileFeatures(
  names: readonly string[],
  peers: readonly string[] = [],
): (signals: AnswerSignals) => number[] {
  const extract = names.map((name, index) => {
    const f = extractor(name, peers);
    if (f === undefined) throw new Error(`features.${index}: unknown feature "${name}"`);
    return f;
  });
  return (signals) => extract.map((f) => f(signals));
}

/** Each scorer's score, by name (the last wins when a scorer spoke twice). */
export function scoresByScorer(confidence: Confidence): Map<string, number> {
  return new Map(confidence.contributions.map((c) => [c.scorer, c.score]));
}

/** The text of the request the features read as "the prompt": its user messages. */
export function promptText(request: ChatRequest): string {
  const parts: string[] = [];
  for (const message of request.messages) {
    if (message.role !== 'user') continue;
    for (const part of message.content) if (part.type === 'text') parts.push(part.text);
  }
  return parts.join('\n');
}

/** Signals of a live answer: its text, the heuristic confidence, and the peers' answers by model. */
export function answerSignals(input: {
  prompt: string;
  answer: string;
  confidence: Confidence;
  peers: ReadonlyMap<string, string>;
}): AnswerSignals {
  let scored: { score: number; byScorer: ReadonlyMap<string, number> } | undefined;
  let shape: number[] | undefined;
  const peer = (name: string) => input.peers.get(name) ?? '';
  return {
    scored: () => {
      scored ??= { score: input.confidence.score, byScorer: scoresByScorer(input.confidence) };
      return scored;
    },
    shape: () => {
      shape ??= answerFeatures(input.prompt, input.answer);
      return shape;
    },
    answerClass: () => shortAnswerClass(input.answer),
    agreement: (name) => agreement(input.answer, peer(name)),
    overlap: (name) => wordOverlap(input.answer, peer(name)),
  };
}

interface CompiledVerifier {
  features: (signals: AnswerSignals) => number[];
  /** Scorers the verifier weighs: their red flags are learned, not caps. */
  learnedScorers: ReadonlySet<string>;
}

const compiled = new WeakMap<VerifierWeights, CompiledVerifier>();

/** Checks the weights and compiles their features; throws naming the first problem. */
export function compileVerifier(weights: VerifierWeights): CompiledVerifier {
  let verifier = compiled.get(weights);
  if (verifier === undefined) {
    if (weights.weights.length !== weights.features.length) {
      throw new Error(`weights: ${weights.weights.length} weights for ${weights.features.length} features`);
    }
    if (![weights.intercept, ...weights.weights].every(Number.isFinite)) {
      throw new Error('weights: every weight must be a finite number');
    }
    verifier = {
      features: compileFeatures(weights.features, weights.peers),
      learnedScorers: new Set(
        weights.features.filter((f) => f.startsWith('scorer:')).map((f) => f.slice('scorer:'.length)),
      ),
    };
    compiled.set(weights, verifier);
  }
  return verifier;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The verifier's probability that the answer behind `signals` is right. */
export function verifierProbability(weights: VerifierWeights, signals: AnswerSignals): number {
  const x = compileVerifier(weights).features(signals);
  let z = weights.intercept;
  for (let j = 0; j < x.length; j++) z += weights.weights[j]! * x[j]!;
  return sigmoid(z);
}

export interface VerifiedConfidence {
  /** The probability, capped by red flags the verifier did not learn (not rounded: thresholds were learned on it). */
  score: number;
  probability: number;
  /** The red flag that capped it, if one did. */
  cap?: { scorer: string; score: number };
  /** For the decision trace: the probability and what moved it. */
  note: string;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * Verifies one answer. `peers` are the peer models' answers (all of `weights.peers` must be there);
 * `confidence` is the heuristic scorers' verdict on the same answer.
 */
export function verifyAnswer(
  weights: VerifierWeights,
  input: {
    request: ChatRequest;
    result: ChatResult;
    confidence: Confidence;
    peers: ReadonlyMap<string, string>;
  },
): VerifiedConfidence {
  const answer = answerText(input.result.choices[0]);
  const signals = answerSignals({
    prompt: promptText(input.request),
    answer,
    confidence: input.confidence,
    peers: input.peers,
  });
  const probability = verifierProbability(weights, signals);
  const { learnedScorers } = compileVerifier(weights);
  let cap: { scorer: string; score: number } | undefined;
  // Red flags act through caps (weight 0); one the verifier never saw vary in training keeps its cap.
  for (const c of input.confidence.contributions) {
    if (c.weight === 0 && c.score < 1 && !learnedScorers.has(c.scorer) && c.score < (cap?.score ?? 1)) {
      cap = { scorer: c.scorer, score: c.score };
    }
  }
  const score = Math.min(probability, cap?.score ?? 1);
  const peerNotes = weights.peers.map((peer) => `agrees with ${peer} ${round(signals.agreement(peer))}`);
  const notes = [...peerNotes, ...(cap ? [`${cap.scorer} caps at ${cap.score}`] : [])];
  return {
    score,
    probability: round(probability),
    ...(cap ? { cap } : {}),
    note: `verifier P(correct) ${round(probability)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`,
  };
}
