/**
 * @module execution/classifier-call
 * router-model's classifier call: a plan that carries `classifier` is first sent to that (cheap)
 * model, and the answer — the request's task and difficulty — is mapped through the route's
 * thresholds to the model that then runs (`planFromClassifierAnswer`). The call goes through the
 * executor like any step, so its retries, failover and cost are those of an attempt of the same
 * request (one ledger record). When it fails, the plan's own attempts — chosen from the local
 * classifier's tier — run instead; either way the decision trace says what happened.
 */

import type { ChatRequest } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import type { RoutePlan, RouterClassifier } from '../routing/plan.js';
import { planFromClassifierAnswer } from '../routing/strategies/router-model.js';
import type { StepAnswer } from './cascade.js';
import { answerText } from './confidence/scorers.js';
import type { ExecutionContext } from './executor.js';

type ClassifiedPlan = Extract<RoutePlan, { kind: 'sequence' }> & { classifier: RouterClassifier };

/** True for a plan whose classifier still has to be asked. */
export function needsClassifier(plan: RoutePlan): plan is ClassifiedPlan {
  return plan.kind === 'sequence' && plan.classifier !== undefined;
}

/** Asks the plan's classifier and returns the plan to run: from its answer, or the local stand-in. */
export async function resolveClassifier(
  plan: ClassifiedPlan,
  context: ExecutionContext,
  registry: Registry,
  call: (request: ChatRequest, model: string) => Promise<StepAnswer>,
): Promise<RoutePlan> {
  const { classifier, ...standIn } = plan;
  context.trace.decisions ??= [];
  try {
    const { result } = await call(classifier.request, classifier.model);
    const answer = answerText(result.choices[0]).trim();
    const next = planFromClassifierAnswer(plan, answer, registry);
    const shown = answer.length > 60 ? `${answer.slice(0, 60)}…` : answer;
    context.trace.decisions.push(
      `classifier ${classifier.model} answered ${JSON.stringify(shown)}: ${next.reason}`,
    );
    return next;
  } catch (error) {
    if (context.signal.aborted) throw error;
    const code = error instanceof GatewayError ? error.code : 'INTERNAL';
    const first = standIn.kind === 'sequence' ? standIn.attempts[0]?.model : undefined;
    context.trace.decisions.push(
      `classifier ${classifier.model} failed (${code}): local classifier's choice ${first ?? 'stands'}`,
    );
    return standIn;
  }
}
