/**
 * @module http/routes/completions
 * `POST /v1/completions`: OpenAI's legacy text-completions shape, plus the orchestration fields
 * of the seed documents (`request_id, response, model_used, tokens_used, cost, latency_ms,
 * confidence, strategy, fallback_chain, metadata`). Accepts both the OpenAI request
 * (`model`, `prompt`) and the seed form (`prompt`, `task_type`, `budget_limit`, no model → `auto`),
 * with routing options in `x-switchyard-*` headers or a `switchyard: {…}` body field.
 */

import type { ChatRequest, RoutingOptions } from '../../core/chat.js';
import { textOf } from '../../core/chat.js';
import { invalidRequest, toGatewayError } from '../../core/errors.js';
import type { ChatOutcome } from '../../gateway/gateway.js';
import type { RequestContext } from '../../gateway/request-context.js';
import { readJsonBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { sendError, sendJson } from '../respond.js';
import { mergeRouting, routingFromHeaders } from '../routing-headers.js';
import { writeChunk } from '../stream-writer.js';
import { decodeRoutingOptions } from '../wire/openai/decode-routing-options.js';
import { newContext, servedHeaders } from './chat-completions.js';

function optionalNumber(
  body: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidRequest(`${field}: expected a number from ${min} to ${max}`, field);
  }
  return value;
}

export function decodeCompletionRequest(body: unknown): ChatRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('the body must be a JSON object', 'body');
  }
  const b = body as Record<string, unknown>;
  let prompt = b.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1 || typeof prompt[0] !== 'string') {
      throw invalidRequest('prompt: send one prompt (a string) per request', 'prompt');
    }
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string' || prompt.length === 0)
    throw invalidRequest('prompt: expected a non-empty string', 'prompt');
  const model = b.model ?? 'auto';
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) {
    throw invalidRequest('model: expected a model or route name', 'model');
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean')
    throw invalidRequest('stream: expected a boolean', 'stream');
  const maxTokens = optionalNumber(b, 'max_tokens', 1, 1_000_000);
  if (maxTokens !== undefined && !Number.isInteger(maxTokens))
    throw invalidRequest('max_tokens: expected an integer', 'max_tokens');
  const temperature = optionalNumber(b, 'temperature', 0, 2);
  const topP = optionalNumber(b, 'top_p', 0, 1);
  const budget = optionalNumber(b, 'budget_limit', 0, 1_000_000);
  let routing: RoutingOptions | undefined;
  if (b.task_type !== undefined) {
    if (typeof b.task_type !== 'string' || !/^[a-z_-]{1,32}$/.test(b.task_type)) {
      throw invalidRequest(
        'task_type: expected a task name such as code-generation or summarization',
        'task_type',
      );
    }
    routing = { task: b.task_type };
  }
  if (budget !== undefined) routing = { ...routing, maxCostUsd: budget };
  // The `switchyard: {…}` routing options, as on /v1/chat/completions; they win over the seed fields.
  const options = decodeRoutingOptions(b.switchyard);
  if (options) routing = { ...routing, ...options };
  let stop: string[] | undefined;
  if (typeof b.stop === 'string') stop = [b.stop];
  else if (Array.isArray(b.stop) && b.stop.length <= 4 && b.stop.every((s) => typeof s === 'string'))
    stop = b.stop;
  else if (b.stop !== undefined && b.stop !== null)
    throw invalidRequest('stop: expected a string or up to 4 strings', 'stop');
  return {
    model,
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    stream: b.stream === true,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
    ...(stop ? { stop } : {}),
    ...(typeof b.user === 'string' ? { user: b.user } : {}),
    ...(routing ? { routing } : {}),
  };
}

/** The orchestration result of DESIGN.md §4, shared with `switchyard ask --output`. */
export function orchestrationFields(context: RequestContext, outcome: ChatOutcome) {
  const choice = outcome.result.choices[0];
  const text = choice ? textOf(choice.message.content) : '';
  const usage = outcome.settlement.usage;
  return {
    request_id: context.requestId,
    response: text,
    model_used: outcome.model.name,
    tokens_used: {
      input: usage.inputTokens,
      output: usage.outputTokens,
      total: usage.inputTokens + usage.outputTokens,
      ...(usage.estimated ? { estimated: true } : {}),
    },
    cost: outcome.settlement.costNanos / 1e9,
    latency_ms: outcome.settlement.record.latencyMs,
    confidence: context.trace.confidence ?? null,
    strategy: outcome.plan.strategy,
    fallback_chain: [...new Set(context.trace.attempts.map((a) => a.model.name))],
    ...(context.trace.ensembleModels ? { ensemble_models: context.trace.ensembleModels } : {}),
    metadata: {
      provider: outcome.deployment.provider,
      deployment: outcome.deployment.id,
      attempts: outcome.attempts,
      route_trace: outcome.settlement.record.routeTrace ?? outcome.plan.reason,
      finish_reason: choice?.finishReason.raw ?? null,
      ...(context.trace.ensembleModels ? { ensemble_size: context.trace.ensembleModels.length } : {}),
    },
  };
}

export async function completions(http: HttpContext): Promise<void> {
  const body = await readJsonBody(http.req, http.bodyLimitBytes);
  const request = decodeCompletionRequest(body);
  const routing = mergeRouting(routingFromHeaders(http.req.headers), request.routing);
  if (routing) request.routing = routing;
  const context = newContext(http, 'completions');
  const { gateway, res } = http;
  const id = `cmpl-${context.requestId}`;
  const created = Math.floor(context.startedAt / 1000);
  try {
    if (!request.stream) {
      const outcome = await gateway.chat(request, context);
      const usage = outcome.settlement.usage;
      sendJson(
        res,
        200,
        {
          id,
          object: 'text_completion',
          created,
          model: outcome.model.name,
          choices: outcome.result.choices.map((c) => ({
            text: textOf(c.message.content),
            index: c.index,
            logprobs: null,
            finish_reason:
              c.finishReason.unified === 'tool_calls'
                ? 'stop'
                : (c.finishReason.raw ?? c.finishReason.unified),
          })),
          usage: {
            prompt_tokens: usage.inputTokens,
            completion_tokens: usage.outputTokens,
            total_tokens: usage.inputTokens + usage.outputTokens,
          },
          ...orchestrationFields(context, outcome),
        },
        servedHeaders(context, outcome, outcome.settlement.costNanos),
      );
      return;
    }
    const outcome = await gateway.stream(request, context);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...servedHeaders(context, outcome),
    });
    const chunk = (text: string, finishReason: string | null) =>
      `data: ${JSON.stringify({ id, object: 'text_completion', created, model: outcome.model.name, choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }] })}\n\n`;
    for await (const part of outcome.parts) {
      let text = '';
      if (part.type === 'text-delta' && part.choice === 0) text = chunk(part.text, null);
      else if (part.type === 'finish' && part.choice === 0)
        text = chunk('', part.finishReason.raw ?? part.finishReason.unified);
      else if (part.type === 'error') {
        const { error } = part.error.toJSON();
        text = `data: ${JSON.stringify({ error: gateway.redactor.value(error) })}\n\n`;
      }
      if (text !== '') await writeChunk(res, text);
    }
    outcome.finish();
    if (outcome.summary.status === 'ok') await writeChunk(res, 'data: [DONE]\n\n');
    res.end();
  } catch (error) {
    sendError(res, toGatewayError(error), gateway.redactor, { 'x-switchyard-request-id': context.requestId });
  }
}
