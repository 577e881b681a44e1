/**
 * @module execution/confidence
 * How much to trust one answer, as a score in [0,1] with each signal's contribution: the input
 * of confidence-based escalation (`fallback`: escalate below `min_confidence`) and of ensemble
 * selection (confidence × quality). Red flags cap the score — a refusal or an empty answer at
 * most 0.1, hedging about 0.5, a cut answer 0.4 — and evidence sets it within the cap: a
 * weighted mean of a neutral prior (0.85), exp(mean token logprob), agreement with the other
 * ensemble members, a judge model's rating and structured-output validity. Calibrated so a
 * normal answer scores ≥ 0.7, a hedged one about 0.45–0.55 and a refusal ≤ 0.2. Pure: the
 * executor calls the judge (with `judgePrompt`) and passes its rating in.
 */

import type { ChatRequest, ChatResult } from '../../core/chat.js';
import {
  agreementSignal,
  answerText,
  emptySignal,
  finishSignal,
  folded,
  hedgingSignal,
  jsonSignals,
  logprobSignal,
  mayRefuseOrHedge,
  PRIOR_SCORE,
  refusalSignal,
  type Signal,
} from './scorers.js';

export { agreement, majorityVote, normaliseAnswer } from './agreement.js';
export { type SchemaProblem, validateJsonSchema } from './json-schema.js';
export { judgePrompt, parseJudgeScore } from './judge.js';

export interface ConfidenceInput {
  request: ChatRequest;
  result: ChatResult;
  /** Answers of other ensemble members, for agreement. */
  peers?: ChatResult[];
}

export interface ScorerContribution {
  scorer: string;
  score: number;
  weight: number;
  note: string;
}

export interface Confidence {
  score: number;
  contributions: ScorerContribution[];
}

export interface ConfidenceOptions {
  /** A judge model's score in [0,1], if one was asked. */
  judge?: number;
}

const JUDGE_WEIGHT = 3;

const PRIOR: Signal = Object.freeze({
  scorer: 'prior',
  score: PRIOR_SCORE,
  weight: 1,
  note: 'an answer nothing has verified yet',
});

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The signals the first choice of `result` is scored on, in the order they are combined. */
function signalsOf(input: ConfidenceInput, options: ConfidenceOptions): Signal[] {
  const choice = input.result.choices[0];
  const text = answerText(choice);
  // Runs on every answer the gateway returns: the text is folded once for both phrase scorers,
  // and one scan tells them whether it holds any phrase they look for (most answers hold none).
  const lower = folded(text);
  const phrases = mayRefuseOrHedge(lower);
  const signals: Signal[] = [
    PRIOR,
    emptySignal(choice, text),
    refusalSignal(choice, text, lower, phrases),
    hedgingSignal(text, lower, phrases),
    finishSignal(input.request, choice),
  ];
  for (const signal of jsonSignals(input.request, choice, text)) signals.push(signal);
  const logprob = logprobSignal(choice);
  if (logprob !== undefined) signals.push(logprob);
  const agreed = agreementSignal(text, input.peers);
  if (agreed !== undefined) signals.push(agreed);
  if (options.judge !== undefined && Number.isFinite(options.judge)) {
    const judge = Math.min(1, Math.max(0, options.judge));
    signals.push({
      scorer: 'judge',
      score: judge,
      weight: JUDGE_WEIGHT,
      note: `judge rated ${round(judge * 10)}/10`,
    });
  }
  return signals;
}

/** Scores the first choice of `result` as an answer to `request`. */
export function scoreConfidence(input: ConfidenceInput, options: ConfidenceOptions = {}): Confidence {
  let weighted = 0;
  let weights = 0;
  let cap = 1;
  const contributions: ScorerContribution[] = [];
  for (const signal of signalsOf(input, options)) {
    weighted += signal.score * signal.weight;
    weights += signal.weight;
    if (signal.cap !== undefined && signal.cap < cap) cap = signal.cap;
    // A copy: some signals are shared constants, and a contribution has no cap.
    contributions.push({
      scorer: signal.scorer,
      score: signal.score,
      weight: signal.weight,
      note: signal.note,
    });
  }
  const mean = weights === 0 ? PRIOR_SCORE : weighted / weights;
  return { score: round(Math.min(cap, Math.max(0, mean))), contributions };
}

/**
 * `scoreConfidence(input, options).score`, the very same number (the same signals combined in
 * the same order), without the contributions: what the executor keeps of every answer.
 */
export function confidenceScore(input: ConfidenceInput, options: ConfidenceOptions = {}): number {
  let weighted = 0;
  let weights = 0;
  let cap = 1;
  for (const signal of signalsOf(input, options)) {
    weighted += signal.score * signal.weight;
    weights += signal.weight;
    if (signal.cap !== undefined && signal.cap < cap) cap = signal.cap;
  }
  const mean = weights === 0 ? PRIOR_SCORE : weighted / weights;
  return round(Math.min(cap, Math.max(0, mean)));
}

/** `0.45 (hedging 0.505: hedges: "i think"…; logprob 0.25…)`: the signals that moved the score. */
export function describeConfidence(confidence: Confidence): string {
  const moving = confidence.contributions.filter((c) => c.weight > 0 || c.score < 1);
  return `${confidence.score} (${moving.map((c) => `${c.scorer} ${c.score}: ${c.note}`).join('; ')})`;
}
