/**
 * @module eval/replay
 * Carries out a RoutePlan against one dataset row instead of the network: the "provider" answers
 * with what the model recorded for that prompt, at the cost it recorded. A sequence plan with
 * `escalate` runs through the executor's own cascade (`execution/cascade`) — the same confidence
 * scorers, learned verifiers, peer calls, thresholds and tie rules as a live request — with a step
 * runner that answers from the row; a model with no recorded answer fails like a call whose
 * failover was exhausted. A sequence without `escalate` takes the first step that has an answer. A
 * parallel plan pays every member and picks one answer by the plan's rule. Plans name models as
 * the replay registry does; the outcome names dataset models: the final answer's score, the total
 * cost and every model called (peers included).
 */

import type { ChatRequest, ChatResult } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import { finishReason } from '../core/finish-reason.js';
import { runCascade, type StepRunner } from '../execution/cascade.js';
import { type Confidence, majorityVote, scoreConfidence } from '../execution/confidence/index.js';
import type { ExecutionContext } from '../execution/executor.js';
import type { RoutePlan } from '../routing/plan.js';
import type { EvalRow } from './datasets.js';
import { createRowMemo } from './memo.js';
import { expectedCostUsd, type ReplayRegistry } from './replay-registry.js';

export interface ReplayContext extends ReplayRegistry {
  /** Cost of calling dataset model `model` on `row`; the dataset's figure, or an estimate when it has none. */
  costOf(row: EvalRow, model: string): number;
  /** Prior quality of a dataset model, for parallel `confidence` selection (confidence × quality). */
  qualityOf?(model: string): number;
}

export interface ReplayOutcome {
  /** Score of the answer returned (0 when no step could answer). */
  score: number;
  cost: number;
  /** Every dataset model called for this row, in order. */
  called: string[];
  /** The dataset model whose answer was returned, if any. */
  answeredBy: string | undefined;
}

function hasAnswer(row: EvalRow, model: string): boolean {
  return row.outcomes[model]?.score !== undefined;
}

const NEVER = new AbortController().signal;

/** Replays one plan on one row. */
export async function replayPlan(
  plan: RoutePlan,
  row: EvalRow,
  context: ReplayContext,
): Promise<ReplayOutcome> {
  const called: string[] = [];
  let cost = 0;
  const call = (model: string) => {
    // Every call is paid, as a gateway pays it (a model that is both a peer and a later step, twice).
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
    const members = plan.members.map((m) => context.modelOf(m.model));
    for (const model of members) call(model);
    const answered = members.filter((model) => hasAnswer(row, model));
    if (answered.length === 0) return outcome(undefined);
    if (plan.select === 'vote') {
      const { winner } = majorityVote(answered.map((model) => row.outcomes[model]?.response ?? ''));
      return outcome(answered[winner]);
    }
    // `confidence` and `synthesize` alike: the most confident answer weighted by model quality, the
    // others as peers (a synthesis cannot be replayed; its best input is the closest stand-in).
    const request = requestOf(row);
    const results = answered.map((model) => resultOf(row, model));
    let best: string | undefined;
    let bestValue = -1;
    answered.forEach((model, k) => {
      const peers = results.filter((_, j) => j !== k);
      const value =
        scoreConfidence({ request, result: results[k]!, peers }).score * (context.qualityOf?.(model) ?? 1);
      if (value > bestValue) {
        bestValue = value;
        best = model;
      }
    });
    return outcome(best);
  }

  if (!plan.escalate) {
    for (const attempt of plan.attempts) {
      const model = context.modelOf(attempt.model);
      call(model);
      if (hasAnswer(row, model)) return outcome(model);
    }
    return outcome(undefined);
  }

  const runner: StepRunner = {
    async runStep(step) {
      const model = context.modelOf(step.model);
      call(model);
      const entry = context.registry.get(step.model);
      if (!hasAnswer(row, model) || entry === undefined || entry.deployments.length === 0) {
        throw new GatewayError('ROUTE_EXHAUSTED', `${model} has no recorded answer`);
      }
      return { result: resultOf(row, model), model: entry, deployment: entry.deployments[0]! };
    },
    spentNanos: () => Math.round(cost * 1e9),
    estimateNanos: (entry) => Math.round(expectedCostUsd(entry) * 1e9),
    model: (name) => context.registry.get(name),
  };
  const execution: ExecutionContext = {
    requestId: `replay-${row.id}`,
    signal: NEVER,
    deadline: Number.POSITIVE_INFINITY,
    trace: { attempts: [] },
  };
  try {
    await runCascade(requestOf(row), plan, execution, runner);
  } catch {
    return outcome(undefined);
  }
  const answered = execution.trace.model;
  return outcome(answered === undefined ? undefined : context.modelOf(answered.name));
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
 * The product's heuristic confidence scorers on a recorded answer, as the executor scores a step,
 * memoised per row and model (the verifier's training reads them for every candidate cascade).
 */
export function createScorerMemo(): (row: EvalRow, model: string) => Confidence {
  const memo = createRowMemo<Confidence>();
  return (row, model) =>
    memo(row, model, () => scoreConfidence({ request: requestOf(row), result: resultOf(row, model) }));
}
