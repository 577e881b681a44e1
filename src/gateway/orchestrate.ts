/**
 * @module gateway/orchestrate
 * One prompt in, one orchestration result out — the shape of the seed documents' CLI
 * orchestrator (`response, model_used, cost, latency, confidence, input_tokens, output_tokens,
 * strategy, fallback_chain, ensemble_models, metadata, timestamp`). Used by `switchyard ask`
 * and by library users (`orchestrate`).
 */

import type { ChatRequest, RoutingOptions } from '../core/chat.js';
import { textOf } from '../core/chat.js';
import type { Gateway } from './gateway.js';
import { createRequestContext } from './request-context.js';

export interface OrchestrateInput {
  prompt: string;
  /** Model or route name; `auto` (default) lets the strategy choose. */
  model?: string;
  strategy?: string;
  maxCost?: number;
  chain?: string[];
  ensembleSize?: number;
  maxTokens?: number;
  system?: string;
  signal?: AbortSignal;
}

export interface OrchestrationResult {
  request_id: string;
  response: string;
  model_used: string;
  provider: string;
  cost: number;
  latency: number;
  confidence: number | null;
  input_tokens: number;
  output_tokens: number;
  tokens_estimated: boolean;
  strategy: string;
  fallback_chain: string[];
  ensemble_models: string[];
  metadata: Record<string, unknown>;
  timestamp: string;
}

export async function orchestrate(gateway: Gateway, input: OrchestrateInput): Promise<OrchestrationResult> {
  const routing: RoutingOptions = {
    ...(input.strategy === undefined ? {} : { strategy: input.strategy }),
    ...(input.maxCost === undefined ? {} : { maxCostUsd: input.maxCost }),
    ...(input.chain === undefined ? {} : { chain: input.chain }),
    ...(input.ensembleSize === undefined ? {} : { ensembleSize: input.ensembleSize }),
  };
  const request: ChatRequest = {
    model: input.model ?? 'auto',
    messages: [
      ...(input.system
        ? [{ role: 'system' as const, content: [{ type: 'text' as const, text: input.system }] }]
        : []),
      { role: 'user', content: [{ type: 'text', text: input.prompt }] },
    ],
    stream: false,
    ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
    ...(Object.keys(routing).length > 0 ? { routing } : {}),
  };
  const context = createRequestContext({
    endpoint: 'orchestrate',
    timeoutMs: gateway.config.server.request_timeout_ms,
    signal: input.signal ?? new AbortController().signal,
    caller: { admin: true },
  });
  const outcome = await gateway.chat(request, context);
  const choice = outcome.result.choices[0];
  const usage = outcome.settlement.usage;
  return {
    request_id: context.requestId,
    response: choice ? textOf(choice.message.content) : '',
    model_used: outcome.model.name,
    provider: outcome.deployment.provider,
    cost: outcome.settlement.costNanos / 1e9,
    latency: outcome.settlement.record.latencyMs / 1000,
    confidence: context.trace.confidence ?? null,
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    tokens_estimated: usage.estimated === true,
    strategy: outcome.plan.strategy,
    fallback_chain: [...new Set(context.trace.attempts.map((attempt) => attempt.model.name))],
    ensemble_models: context.trace.ensembleModels ?? [],
    metadata: {
      route_trace: outcome.settlement.record.routeTrace ?? outcome.plan.reason,
      ...(context.trace.ensembleModels ? { ensemble_size: context.trace.ensembleModels.length } : {}),
      deployment: outcome.deployment.id,
      attempts: outcome.attempts,
      finish_reason: choice?.finishReason.raw ?? null,
    },
    timestamp: new Date(context.startedAt).toISOString(),
  };
}
