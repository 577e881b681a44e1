/**
 * @module execution/cascade
 * Runs a fallback cascade (a sequence plan with `escalate`): call the first step, score the
 * answer's confidence, and escalate to the next step only when it is below the threshold — or
 * when the step failed — stopping at the first confident answer (FrugalGPT's cascade). A step
 * that carries a learned verifier is scored by it: its peer models are asked the same question
 * alongside (and paid), and the verifier turns the answer, the heuristic scorers and the peers'
 * agreement into the probability that the answer is right. Before each escalation the cost so far
 * plus the next step's estimate (its peers included) is checked against the plan's budget — the
 * stricter of the request's and the route's `max_cost`; when it would not fit, the best answer so
 * far is returned. Each step's own retries and failover happen inside the step. `switchyard eval`
 * replays recorded answers through this same function.
 */

import type { ChatRequest, ChatResult } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { Deployment, ModelEntry } from '../registry/registry.js';
import type { PlannedAttempt, RoutePlan } from '../routing/plan.js';
import { type Confidence, scoreConfidence } from './confidence/index.js';
import { verifyAnswer } from './confidence/learned-verifier.js';
import { answerText } from './confidence/scorers.js';
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

interface Scored {
  score: number;
  /** Why, for the decision trace. */
  note: string;
}

function stricter(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/** The heuristic scorers that pulled the score down, for the trace. */
function heuristicNote(confidence: Confidence): string {
  return confidence.contributions
    .filter((c) => c.score < 0.7)
    .map((c) => `${c.scorer} ${c.score.toFixed(2)}${c.note ? ` (${c.note})` : ''}`)
    .join(', ');
}

/** Runs the step and, when it carries a verifier, its peers alongside; scores the answer. */
async function runAndScore(
  request: ChatRequest,
  step: PlannedAttempt,
  runner: StepRunner,
): Promise<{ answer: StepAnswer; scored: Scored }> {
  const peers = step.verifier?.weights.peers ?? [];
  const [main, ...asked] = await Promise.allSettled([
    runner.runStep(step),
    ...peers.map((peer) => runner.runStep({ model: peer, reason: `verifier peer of ${step.model}` })),
  ]);
  if (main!.status === 'rejected') throw main!.reason;
  const answer = main!.value;
  const confidence = scoreConfidence({ request, result: answer.result });
  const verifier = step.verifier;
  if (verifier === undefined)
    return { answer, scored: { score: confidence.score, note: heuristicNote(confidence) } };
  const failed = peers.filter((_, k) => asked[k]!.status === 'rejected');
  if (failed.length > 0) {
    // The verifier was fitted with every peer's answer; without one it would be guessing.
    return {
      answer,
      scored: {
        score: confidence.score,
        note: `heuristic scorers (peer ${failed.join(', ')} failed, verifier not used)${heuristicNote(confidence) ? `: ${heuristicNote(confidence)}` : ''}`,
      },
    };
  }
  const peerAnswers = new Map<string, string>();
  peers.forEach((peer, k) => {
    const settled = asked[k]!;
    if (settled.status === 'fulfilled') peerAnswers.set(peer, answerText(settled.value.result.choices[0]));
  });
  const verified = verifyAnswer(verifier.weights, {
    request,
    result: answer.result,
    confidence,
    peers: peerAnswers,
  });
  return {
    answer,
    scored: { score: verified.score, note: `${verified.note}, learned for ${verifier.task}` },
  };
}

/**
 * Puts the attempt that produced the returned answer last, where accounting looks for the
 * answering attempt (peers, escalations and other ensemble members may have finished after it):
 * it alone is billed with the usage of the returned answer.
 */
export function answeringLast(context: ExecutionContext, best: StepAnswer): void {
  const attempts = context.trace.attempts;
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i]!;
    if (a.status === 'ok' && a.model === best.model && a.deployment === best.deployment) {
      if (i !== attempts.length - 1) attempts.push(...attempts.splice(i, 1));
      return;
    }
  }
}

export async function runCascade(
  request: ChatRequest,
  plan: Extract<RoutePlan, { kind: 'sequence' }>,
  context: ExecutionContext,
  runner: StepRunner,
): Promise<ChatResult> {
  const threshold = plan.escalate?.minConfidence ?? 0.6;
  const budgetUsd = stricter(plan.maxCostUsd, request.routing?.maxCostUsd);
  const maxCostNanos = budgetUsd === undefined ? undefined : Math.round(budgetUsd * 1e9);
  context.trace.decisions ??= [];
  const decisions = context.trace.decisions;
  let best: Candidate | undefined;
  let lastError: unknown;
  for (let i = 0; i < plan.attempts.length; i++) {
    const step = plan.attempts[i]!;
    const model = runner.model(step.model);
    if (i > 0 && maxCostNanos !== undefined && model) {
      let projected = runner.spentNanos() + runner.estimateNanos(model);
      for (const peer of step.verifier?.weights.peers ?? []) {
        const peerModel = runner.model(peer);
        if (peerModel) projected += runner.estimateNanos(peerModel);
      }
      if (projected > maxCostNanos) {
        decisions.push(
          `stop before ${step.model}: $${(projected / 1e9).toFixed(6)} would exceed max_cost $${(maxCostNanos / 1e9).toFixed(6)}`,
        );
        break;
      }
    }
    try {
      const { answer, scored } = await runAndScore(request, step, runner);
      // Ties go to the later, stronger step: with no signal to separate them, trust the stronger model.
      if (!best || scored.score >= best.score) {
        best = { ...answer, score: scored.score };
      }
      const shown = scored.score.toFixed(2);
      if (scored.score >= threshold) {
        decisions.push(
          `${step.model}: confidence ${shown} ≥ ${threshold}${step.verifier ? ` — ${scored.note}` : ''}, accepted`,
        );
        break;
      }
      decisions.push(
        `${step.model}: confidence ${shown} < ${threshold}${scored.note ? ` — ${scored.note}` : ''}${i + 1 < plan.attempts.length ? ', escalating' : ', last step'}`,
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
  answeringLast(context, best);
  context.trace.confidence = best.score;
  context.trace.model = best.model;
  context.trace.deployment = best.deployment;
  return best.result;
}
