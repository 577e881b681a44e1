/**
 * @module gateway/accounting-step
 * The last step of every request, whatever happened: settle usage (provider-reported wins,
 * otherwise a tokenizer estimate marked as such), price every attempt, and write exactly one
 * ledger record plus metrics. Runs after the response is on its way; never throws.
 */

import { type CompiledPrices, compilePrices, computeCostNanosCompiled } from '../accounting/compute-cost.js';
import type { Prices } from '../accounting/prices.js';
import { estimateUsage } from '../accounting/tokenizer.js';
import type { ChatRequest } from '../core/chat.js';
import type { GatewayError } from '../core/errors.js';
import { type Usage, ZERO_USAGE } from '../core/usage.js';
import type { Metrics } from '../observability/metrics.js';
import type {
  AttemptOutcome as AttemptObservation,
  RequestOutcome,
} from '../observability/request-outcome.js';
import type { RequestStats } from '../observability/stats.js';
import type { RoutePlan } from '../routing/plan.js';
import type { AttemptRecord, Ledger, LedgerRecord } from '../storage/ports.js';
import type { RequestContext } from './request-context.js';

export interface Settlement {
  usage: Usage;
  costNanos: number;
  record: LedgerRecord;
}

export interface SettleInput {
  context: RequestContext;
  request?: Pick<ChatRequest, 'messages' | 'tools' | 'routing' | 'stream'>;
  plan?: RoutePlan;
  status: 'ok' | 'error' | 'cancelled';
  error?: GatewayError;
  httpStatus: number;
  /** Usage reported for the answering attempt (may be absent or estimated). */
  usage?: Usage;
  /** Generated text of the answering attempt, for estimation when usage is missing. */
  outputText?: string;
  /** Input tokens known without a tokenizer (embeddings report them). */
  confidence?: number;
  cacheHit?: boolean;
}

export interface AccountingDeps {
  ledger: Ledger;
  metrics: Metrics;
  stats: RequestStats;
}

const compiledCache = new WeakMap<Prices, CompiledPrices>();

/** Prices are compiled once per model (registry entries live as long as the config). */
function compiled(prices: Prices): CompiledPrices {
  let found = compiledCache.get(prices);
  if (!found) {
    found = compilePrices(prices);
    compiledCache.set(prices, found);
  }
  return found;
}

function needsEstimate(usage: Usage | undefined): boolean {
  return (
    usage === undefined || (usage.estimated === true && usage.inputTokens === 0 && usage.outputTokens === 0)
  );
}

/** The decision trace: the plan's reason, then what happened at each step. */
export function routeTrace(reason: string, decisions: readonly string[] | undefined): string {
  return decisions && decisions.length > 0 ? `${reason}; ${decisions.join('; ')}` : reason;
}

export function settle(deps: AccountingDeps, input: SettleInput): Settlement {
  const { context } = input;
  const trace = context.trace;
  // The attempt whose output the client got: on success, on a client hang-up, and on a stream
  // that failed after sending some output — all of which the provider bills.
  const producedOutput = (input.outputText ?? '') !== '';
  const answering =
    input.status === 'ok' || input.status === 'cancelled' || producedOutput
      ? trace.attempts.at(-1)
      : undefined;
  let usage: Usage = input.usage ?? answering?.usage ?? ZERO_USAGE;
  if (answering && input.request && needsEstimate(input.usage ?? answering.usage)) {
    usage = estimateUsage({
      request: input.request,
      outputText: input.outputText ?? '',
      model: answering.deployment.target.model,
    });
  }
  if (answering) answering.usage = usage;

  // A hedged attempt that lost the race was cancelled, but the provider bills its prompt.
  for (const attempt of trace.attempts) {
    if (attempt.hedgeLoser && !attempt.usage && input.request) {
      const estimate = estimateUsage({
        request: input.request,
        outputText: '',
        model: attempt.deployment.target.model,
      });
      attempt.usage = { inputTokens: estimate.inputTokens, outputTokens: 0, estimated: true };
    }
  }
  let costNanos = 0;
  // A loop, not `map`: the callback would close over `costNanos`, a context and a closure per request.
  const attempts: AttemptRecord[] = [];
  for (let index = 0; index < trace.attempts.length; index++) {
    const attempt = trace.attempts[index]!;
    const attemptUsage = attempt.usage ?? ZERO_USAGE;
    const cost = computeCostNanosCompiled(attemptUsage, compiled(attempt.deployment.prices));
    costNanos += cost;
    const row: AttemptRecord = {
      attempt: index + 1,
      model: attempt.model.name,
      provider: attempt.deployment.provider,
      deployment: attempt.deployment.id,
      status: attempt.status,
      latencyMs: attempt.latencyMs,
      inputTokens: attemptUsage.inputTokens,
      outputTokens: attemptUsage.outputTokens,
      costNanos: cost,
    };
    if (attempt.error) {
      row.errorCode = attempt.error.code;
      row.httpStatus = attempt.error.status;
    }
    attempts.push(row);
  }

  const latencyMs = Date.now() - context.startedAt;
  const routing = input.request?.routing;
  // Optional fields are set only when present (a record read back must equal the one written),
  // by assignment: spreading conditional literals costs several µs per request.
  const { caller } = context;
  const confidence = input.confidence ?? trace.confidence;
  const record: LedgerRecord = {
    requestId: context.requestId,
    timestamp: context.startedAt,
    endpoint: context.endpoint,
    strategy: input.plan?.strategy ?? 'none',
    status: input.status,
    httpStatus: input.httpStatus,
    stream: input.request?.stream ?? false,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens ?? 0,
    cacheWriteTokens: usage.cacheWriteTokens ?? 0,
    reasoningTokens: usage.reasoningTokens ?? 0,
    usageEstimated: usage.estimated === true,
    costNanos,
    latencyMs,
    cacheHit: input.cacheHit ?? false,
    attempts,
  };
  if (caller.keyId !== undefined) record.keyId = caller.keyId;
  if (caller.project !== undefined) record.project = caller.project;
  if (caller.user !== undefined) record.user = caller.user;
  if (routing?.tags !== undefined) record.tags = routing.tags;
  if (input.plan?.route !== undefined) record.route = input.plan.route;
  if (trace.model) record.model = trace.model.name;
  if (trace.deployment) {
    record.provider = trace.deployment.provider;
    record.deployment = trace.deployment.id;
  }
  if (input.error) record.errorCode = input.error.code;
  if (trace.ttftMs !== undefined) record.ttftMs = trace.ttftMs;
  if (confidence !== undefined) record.confidence = confidence;
  if (input.plan) record.routeTrace = routeTrace(input.plan.reason, trace.decisions);
  deps.ledger.append(record);

  const observed: RequestOutcome = {
    endpoint: context.endpoint,
    model: trace.model?.name ?? 'none',
    provider: trace.deployment?.provider ?? 'none',
    status: input.status,
    durationMs: latencyMs,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costNanos,
    stream: record.stream,
  };
  if (input.error) observed.errorCode = input.error.code;
  // Only when the cache was consulted: a request it never saw is neither a hit nor a miss.
  if (input.cacheHit !== undefined) observed.cacheHit = input.cacheHit;
  if (trace.ttftMs !== undefined) observed.ttftMs = trace.ttftMs;
  deps.metrics.recordRequest(observed);
  deps.stats.record(observed);
  for (const attempt of trace.attempts) {
    const outcome: AttemptObservation = {
      model: attempt.model.name,
      provider: attempt.deployment.provider,
      deployment: attempt.deployment.id,
      status: attempt.status,
      durationMs: attempt.latencyMs,
    };
    if (attempt.error) outcome.errorCode = attempt.error.code;
    deps.metrics.recordAttempt(outcome);
  }
  return { usage, costNanos, record };
}
