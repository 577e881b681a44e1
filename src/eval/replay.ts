/**
 * @module eval/replay
 * Carries out a RoutePlan against one dataset row instead of the network: the "provider" answers
 * with what the model recorded for that prompt, at the cost it recorded. A sequence plan without
 * `escalate` takes the first step that has an answer (a model with no recorded answer behaves like
 * a failed call); with `escalate` it mirrors the executor's cascade — score each answer's
 * confidence, stop at the first that reaches the threshold, otherwise return the most confident
 * answer seen. Confidence may read other models' answers (agreement); those calls are paid too,
 * once per row, as a gateway would. A parallel plan pays every member and picks one answer by the
 * plan's rule. The outcome is the final answer's score, the total cost and the models called.
 */

import type { ChatRequest, ChatResult } from '../core/chat.js';
import { finishReason } from '../core/finish-reason.js';
import { majorityVote, scoreConfidence } from '../execution/confidence/index.js';
import type { RoutePlan } from '../routing/plan.js';
import type { EvalRow } from './datasets.js';
import { createRowMemo } from './memo.js';

/** How a step's answer is judged: which other answers it needs, and how confident it is. */
export interface ReplayJudge {
  /** Models whose answers the confidence of `model`'s answer reads; called and paid for too. */
  peersOf(row: EvalRow, model: string): readonly string[];
  /** Confidence in `model`'s recorded answer on `row`, 0..1. */
  confidence(row: EvalRow, model: string): number;
}

export interface ReplayContext {
  judge: ReplayJudge;
  /** Cost of calling `model` on `row`; the dataset's figure, or an estimate when it has none. */
  costOf(row: EvalRow, model: string): number;
  /** Prior quality of a model, for parallel `confidence` selection (confidence × quality). */
  qualityOf?(model: string): number;
}

export interface ReplayOutcome {
  /** Score of the answer returned (0 when no step could answer). */
  score: number;
  cost: number;
  /** Every model called for this row, in order. */
  called: string[];
  /** The model whose answer was returned, if any. */
  answeredBy: string | undefined;
}

function hasAnswer(row: EvalRow, model: string): boolean {
  return row.outcomes[model]?.score !== undefined;
}

/** Replays one plan on one row. */
export function replayPlan(plan: RoutePlan, row: EvalRow, context: ReplayContext): ReplayOutcome {
  const called: string[] = [];
  let cost = 0;
  const call = (model: string) => {
    if (called.includes(model)) return;
    called.push(model);
    cost += context.costOf(row, model);
  };
  const outcome = (model: string | undefined): ReplayOutcome => ({
    score: model === undefined ? 0 : (row.outcomes[model]?.score ?? 0),
    cost,
    called,
    answeredBy: model,
  });

  if (plan.kind === 'parallel') {
    const members = plan.members.map((m) => m.model);
    for (const model of members) call(model);
    const answered = members.filter((model) => hasAnswer(row, model));
    if (answered.length === 0) return outcome(undefined);
    if (plan.select === 'vote') {
      const { winner } = majorityVote(answered.map((model) => row.outcomes[model]?.response ?? ''));
      return outcome(answered[winner]);
    }
    // `confidence` and `synthesize` alike: the most confident answer weighted by model quality
    // (a synthesis cannot be replayed; its best input is the closest recorded stand-in).
    let best: string | undefined;
    let bestValue = -1;
    for (const model of answered) {
      const value = context.judge.confidence(row, model) * (context.qualityOf?.(model) ?? 1);
      if (value > bestValue) {
        bestValue = value;
        best = model;
      }
    }
    return outcome(best);
  }

  if (!plan.escalate) {
    for (const attempt of plan.attempts) {
      call(attempt.model);
      if (hasAnswer(row, attempt.model)) return outcome(attempt.model);
    }
    return outcome(undefined);
  }

  const threshold = plan.escalate.minConfidence;
  let best: string | undefined;
  let bestConfidence = -1;
  for (const attempt of plan.attempts) {
    call(attempt.model);
    if (!hasAnswer(row, attempt.model)) continue;
    for (const peer of context.judge.peersOf(row, attempt.model)) call(peer);
    const confidence = context.judge.confidence(row, attempt.model);
    if (confidence > bestConfidence) {
      bestConfidence = confidence;
      best = attempt.model;
    }
    if (confidence >= threshold) break;
  }
  return outcome(best);
}

/** The row's prompt as the canonical request a strategy and the confidence scorers see. */
export function requestOf(row: EvalRow): ChatRequest {
  return {
    model: 'auto',
    stream: false,
    messages: [{ role: 'user', content: [{ type: 'text', text: row.prompt }] }],
    routing: { task: row.task },
  };
}

/** A model's recorded answer as the canonical result an adapter would have produced. */
export function resultOf(row: EvalRow, model: string): ChatResult {
  return {
    id: `replay-${row.id}`,
    model,
    created: 0,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: [{ type: 'text', text: row.outcomes[model]?.response ?? '' }],
        },
        finishReason: finishReason('stop'),
      },
    ],
    usage: { inputTokens: 0, outputTokens: 0 },
  };
}

/**
 * The product's confidence judge: the confidence scorers on the recorded answer alone, as the
 * executor's cascade scores a step today. Scores are memoised per row and model.
 */
export function createScorerJudge(): ReplayJudge & {
  /** The full scorer output, for calibration features. */
  scored(row: EvalRow, model: string): ReturnType<typeof scoreConfidence>;
} {
  const memo = createRowMemo<ReturnType<typeof scoreConfidence>>();
  const scored = (row: EvalRow, model: string) =>
    memo(row, model, () => scoreConfidence({ request: requestOf(row), result: resultOf(row, model) }));
  return {
    peersOf: () => [],
    confidence: (row, model) => scored(row, model).score,
    scored,
  };
}
