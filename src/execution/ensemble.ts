/**
 * @module execution/ensemble
 * Runs a parallel plan: every member answers at once, each answer is scored (with the others
 * as peers, so agreement counts), and one answer is returned — the best confidence × model
 * quality, the majority for short or structured answers, or a synthesis by an aggregator
 * model that reads them all. Every member that answered is billed.
 */

import { type ChatRequest, type ChatResult, textOf } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { RoutePlan } from '../routing/plan.js';
import { answeringLast, type StepAnswer, type StepRunner } from './cascade.js';
import { majorityVote, scoreConfidence } from './confidence/index.js';
import type { ExecutionContext } from './executor.js';

type Answer = StepAnswer;

function answerText(result: ChatResult): string {
  const message = result.choices[0]?.message;
  if (!message) return '';
  const text = textOf(message.content);
  return text !== '' ? text : (message.toolCalls?.map((c) => `${c.name}(${c.arguments})`).join(';') ?? '');
}

export function synthesisRequest(request: ChatRequest, answers: Answer[]): ChatRequest {
  const question = request.messages
    .filter((m) => m.role === 'user' || m.role === 'system')
    .map((m) => textOf(m.content))
    .join('\n\n');
  const candidates = answers
    .map((a, i) => `Answer ${i + 1} (from ${a.model.name}):\n${answerText(a.result)}`)
    .join('\n\n');
  return {
    ...request,
    stream: false,
    tools: undefined,
    toolChoice: undefined,
    messages: [
      {
        role: 'system',
        content: [
          {
            type: 'text',
            text: 'You combine several candidate answers into one best answer. Keep what they agree on, resolve disagreements with care, and answer the question directly without mentioning the candidates.',
          },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: `Question:\n${question}\n\n${candidates}` }] },
    ],
  };
}

export async function runEnsemble(
  request: ChatRequest,
  plan: Extract<RoutePlan, { kind: 'parallel' }>,
  context: ExecutionContext,
  runner: StepRunner & { runAggregator(request: ChatRequest, model: string): Promise<StepAnswer> },
): Promise<ChatResult> {
  context.trace.decisions ??= [];
  const decisions = context.trace.decisions;
  context.trace.ensembleModels = plan.members.map((m) => m.model);
  const settled = await Promise.allSettled(plan.members.map((member) => runner.runStep(member)));
  const answers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  settled.forEach((s, i) => {
    if (s.status === 'rejected') {
      const code = s.reason instanceof GatewayError ? s.reason.code : 'INTERNAL';
      decisions.push(`${plan.members[i]!.model}: failed (${code})`);
    }
  });
  if (answers.length === 0) {
    const first = settled.find((s) => s.status === 'rejected');
    throw first?.status === 'rejected'
      ? first.reason
      : new GatewayError('ROUTE_EXHAUSTED', 'no ensemble member answered');
  }
  const scored = answers.map((answer) => {
    const peers = answers.filter((other) => other !== answer).map((other) => other.result);
    const confidence = scoreConfidence({ request, result: answer.result, peers });
    const quality = answer.model.quality;
    return { answer, confidence: confidence.score, value: confidence.score * quality };
  });
  for (const s of scored) decisions.push(`${s.answer.model.name}: confidence ${s.confidence.toFixed(2)}`);

  let chosen = scored.reduce((a, b) => (b.value > a.value ? b : a));
  if (plan.select === 'vote') {
    const { winner, votes } = majorityVote(scored.map((s) => answerText(s.answer.result)));
    if (votes > 1) chosen = scored[winner]!;
    decisions.push(`vote: ${chosen.answer.model.name} (${votes} of ${scored.length} agree)`);
  } else if (plan.select === 'synthesize' && plan.aggregator && answers.length > 1) {
    const synthesis = await runner.runAggregator(synthesisRequest(request, answers), plan.aggregator);
    const confidence = scoreConfidence({
      request,
      result: synthesis.result,
      peers: answers.map((a) => a.result),
    });
    context.trace.confidence = confidence.score;
    context.trace.model = synthesis.model;
    context.trace.deployment = synthesis.deployment;
    decisions.push(`synthesized by ${plan.aggregator} from ${answers.length} answers`);
    return synthesis.result;
  } else {
    decisions.push(`chose ${chosen.answer.model.name}: confidence × quality ${chosen.value.toFixed(2)}`);
  }
  context.trace.confidence = chosen.confidence;
  context.trace.model = chosen.answer.model;
  context.trace.deployment = chosen.answer.deployment;
  answeringLast(context, chosen.answer);
  return chosen.answer.result;
}
