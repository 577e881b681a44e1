/**
 * @module execution/cascade
 * Runs a fallback cascade (a sequence plan with `escalate`): call the first step, score the
 * answer's confidence, and escalate to the next step only when it is below the threshold — or
 * when the step failed — stopping at the first confident answer (FrugalGPT's cascade). Before
 * each escalation the cost so far plus the next step's estimate is checked against the
 * request's `max_cost`; when it would not fit, the best answer so far is returned. Each step's
 * own retries and failover happen inside the step.
 */

import type { ChatRequest, ChatResult } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { Deployment, ModelEntry } from '../registry/registry.js';
import type { PlannedAttempt, RoutePlan } from '../routing/plan.js';
import { scoreConfidence } from './confidence/index.js';
import type { ExecutionContext } from './executor.js';

export interface StepAnswer {
  result: ChatResult;
  model: ModelEntry;
  deployment: Deployment;
}

export interface StepRunner {
  /** Runs one step (with its retries and failover) and returns its answer and who gave it. */
  runStep(step: PlannedAttempt): Promise<StepAnswer>;
  /** Cost of everything attempted so far, in nano-dollars. */
  spentNanos(): number;
  /** Estimated cost of a call to `model` for this request, in nano-dollars. */
  estimateNanos(model: ModelEntry): number;
  model(name: string): ModelEntry | undefined;
}

interface Candidate extends StepAnswer {
  score: number;
}

export async function runCascade(
  request: ChatRequest,
  plan: Extract<RoutePlan, { kind: 'sequence' }>,
  context: ExecutionContext,
  runner: StepRunner,
): Promise<ChatResult> {
  const threshold = plan.escalate?.minConfidence ?? 0.6;
  const maxCostNanos =
    request.routing?.maxCostUsd === undefined ? undefined : Math.round(request.routing.maxCostUsd * 1e9);
  context.trace.decisions ??= [];
  const decisions = context.trace.decisions;
  let best: Candidate | undefined;
  let lastError: unknown;
  for (let i = 0; i < plan.attempts.length; i++) {
    const step = plan.attempts[i]!;
    const model = runner.model(step.model);
    if (i > 0 && maxCostNanos !== undefined && model) {
      const projected = runner.spentNanos() + runner.estimateNanos(model);
      if (projected > maxCostNanos) {
        decisions.push(
          `stop before ${step.model}: $${(projected / 1e9).toFixed(6)} would exceed max_cost $${(maxCostNanos / 1e9).toFixed(6)}`,
        );
        break;
      }
    }
    try {
      const answer = await runner.runStep(step);
      const confidence = scoreConfidence({ request, result: answer.result });
      const why = confidence.contributions
        .filter((c) => c.score < 0.7)
        .map((c) => `${c.scorer} ${c.score.toFixed(2)}${c.note ? ` (${c.note})` : ''}`)
        .join(', ');
      // Ties go to the later, stronger step: with no signal to separate them, trust the stronger model.
      if (!best || confidence.score >= best.score) {
        best = { ...answer, score: confidence.score };
      }
      if (confidence.score >= threshold) {
        decisions.push(`${step.model}: confidence ${confidence.score.toFixed(2)} ≥ ${threshold}, accepted`);
        break;
      }
      decisions.push(
        `${step.model}: confidence ${confidence.score.toFixed(2)} < ${threshold}${why ? ` — ${why}` : ''}${i + 1 < plan.attempts.length ? ', escalating' : ', last step'}`,
      );
    } catch (error) {
      lastError = error;
      if (context.signal.aborted) throw error;
      const code = error instanceof GatewayError ? error.code : 'INTERNAL';
      decisions.push(`${step.model}: failed (${code})${i + 1 < plan.attempts.length ? ', escalating' : ''}`);
      // A request the upstream rejects as invalid will not fare better elsewhere.
      if (error instanceof GatewayError && !error.retryable && error.code !== 'ROUTE_EXHAUSTED') throw error;
    }
  }
  if (!best) {
    throw lastError ?? new GatewayError('BUDGET_EXCEEDED', 'no step of the cascade fits max_cost');
  }
  context.trace.confidence = best.score;
  context.trace.model = best.model;
  context.trace.deployment = best.deployment;
  return best.result;
}
