/**
 * @module gateway/cache-step
 * A request answered by the response cache (src/cache): no upstream call, so no attempts; one
 * ledger record like any request's, flagged `cacheHit`, costing $0, with the decision trace
 * saying what kind of hit it was and what the answer cost when it was produced (the saving); the
 * admission ticket settled at zero, which releases the budget reservation and gives the tokens
 * counted against TPM back. The ledger and metrics count the tokens this request consumed — none;
 * the client gets the answer as it was, with the usage reported when it was produced.
 */

import type { Admission, AdmissionTicket } from '../admission/admission.js';
import { type CacheHit, replayStream } from '../cache/response-cache.js';
import type { ChatRequest } from '../core/chat.js';
import { ZERO_USAGE } from '../core/usage.js';
import type { RoutePlan } from '../routing/plan.js';
import { type AccountingDeps, type Settlement, settle } from './accounting-step.js';
import type { ChatOutcome, ServedBy, StreamOutcome } from './gateway.js';
import type { RequestContext } from './request-context.js';

export interface CacheStepDeps extends AccountingDeps {
  admission: Admission;
}

interface HitInput {
  context: RequestContext;
  request: ChatRequest;
  plan: RoutePlan;
  ticket: AdmissionTicket | undefined;
  hit: CacheHit;
}

function servedFromCache({ plan, ticket, hit }: HitInput): ServedBy {
  return {
    model: hit.model,
    deployment: hit.deployment,
    plan,
    attempts: 0,
    cache: 'hit',
    ...(ticket?.headers ? { headers: ticket.headers } : {}),
  };
}

function settleHit(deps: CacheStepDeps, input: HitInput, status: 'ok' | 'cancelled'): Settlement {
  const { context, hit } = input;
  context.trace.model = hit.model;
  context.trace.deployment = hit.deployment;
  context.trace.decisions = [...(context.trace.decisions ?? []), hit.decision];
  const settlement = settle(deps, {
    context,
    request: input.request,
    plan: input.plan,
    status,
    httpStatus: 200,
    usage: ZERO_USAGE,
    cacheHit: true,
  });
  if (input.ticket) deps.admission.settle(input.ticket, { costNanos: 0, inputTokens: 0, outputTokens: 0 });
  return { ...settlement, usage: hit.result.usage };
}

export function cachedChat(deps: CacheStepDeps, input: HitInput): ChatOutcome {
  const settlement = settleHit(deps, input, 'ok');
  return { ...servedFromCache(input), result: input.hit.result, settlement };
}

export function cachedStream(deps: CacheStepDeps, input: HitInput): StreamOutcome {
  const { result } = input.hit;
  const summary: StreamOutcome['summary'] = {
    status: 'streaming',
    outputText: '',
    finishReasons: result.choices.map((choice) => choice.finishReason),
    usage: result.usage,
  };
  const parts = (async function* () {
    yield* replayStream(result);
    summary.status = 'ok';
  })();
  let settled: Settlement | undefined;
  return {
    ...servedFromCache(input),
    parts,
    summary,
    finish() {
      settled ??= settleHit(deps, input, summary.status === 'ok' ? 'ok' : 'cancelled');
      return settled;
    },
  };
}
