/**
 * @module providers/ollama/ollama-chat-request
 * Canonical ChatRequest → the HTTP request for Ollama's `POST /api/chat`. Sampling settings go in
 * `options` under Ollama's names (`maxTokens` is `num_predict`); JSON mode is `format: "json"`
 * and a JSON schema is `format: <schema>`; reasoning becomes `think` (`none` → false, an effort →
 * Ollama's level, a token budget → true). `stream` is always sent because Ollama streams unless
 * told otherwise. Ollama has no `tool_choice`: `none` sends no tools and a named tool sends only
 * that one, but `required` cannot be enforced. It returns one choice, so `n > 1` is refused.
 * Of the client's passthrough fields only Ollama's own `keep_alive` and `options` are forwarded,
 * the canonical settings winning inside `options`.
 */

import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { isRecord } from '../shared/json.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';
import { convertToOllamaChatMessages } from './convert-to-ollama-chat-messages.js';
import type { OllamaChatRequestBody, OllamaOptions, OllamaThink, OllamaTool } from './ollama-chat-api.js';
import { resolveOllamaEndpoint } from './ollama-endpoint.js';

export function toOllamaTools(
  tools: readonly ToolDefinition[],
  choice: ToolChoice | undefined,
): OllamaTool[] | undefined {
  if (tools.length === 0 || choice === 'none') return undefined;
  const out: OllamaTool[] = [];
  for (const tool of tools) {
    if (typeof choice === 'object' && tool.name !== choice.name) continue;
    const fn: OllamaTool['function'] = { name: tool.name };
    if (tool.description !== undefined) fn.description = tool.description;
    if (tool.parameters !== undefined) fn.parameters = tool.parameters;
    out.push({ type: 'function', function: fn });
  }
  return out.length === 0 ? undefined : out;
}

export function toOllamaFormat(format: ResponseFormat): OllamaChatRequestBody['format'] {
  if (format.type === 'json_object') return 'json';
  if (format.type === 'json_schema') return format.jsonSchema.schema ?? 'json';
  return undefined;
}

export function toOllamaThink(reasoning: ChatRequest['reasoning']): OllamaThink | undefined {
  if (reasoning === undefined) return undefined;
  switch (reasoning.effort) {
    case 'none':
      return false;
    case 'minimal':
    case 'low':
      return 'low';
    case 'medium':
      return 'medium';
    // GPT-OSS knows only low, medium and high; `max` is asked for by name only.
    case 'high':
    case 'xhigh':
      return 'high';
    case 'max':
      return 'max';
    case undefined:
      return reasoning.budgetTokens === undefined ? undefined : reasoning.budgetTokens > 0;
  }
}

function options(request: ChatRequest, passthrough: unknown): OllamaOptions | undefined {
  const out: OllamaOptions = isRecord(passthrough) ? { ...passthrough } : {};
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.topP !== undefined) out.top_p = request.topP;
  if (request.topK !== undefined) out.top_k = request.topK;
  if (request.maxTokens !== undefined) out.num_predict = request.maxTokens;
  if (request.stop !== undefined && request.stop.length > 0) out.stop = request.stop;
  if (request.seed !== undefined) out.seed = request.seed;
  if (request.presencePenalty !== undefined) out.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) out.frequency_penalty = request.frequencyPenalty;
  return Object.keys(out).length === 0 ? undefined : out;
}

export function buildOllamaChatRequest(request: ChatRequest, target: UpstreamTarget): HttpRequest {
  if (request.n !== undefined && request.n > 1) {
    throw invalidRequest('Ollama returns a single choice; n must be 1', 'n');
  }
  const endpoint = resolveOllamaEndpoint(target, 'chat', request.stream);
  const body: OllamaChatRequestBody = {
    model: target.model,
    messages: convertToOllamaChatMessages(request.messages),
    stream: request.stream,
  };
  if (request.tools !== undefined) {
    const tools = toOllamaTools(request.tools, request.toolChoice);
    if (tools !== undefined) body.tools = tools;
  }
  if (request.responseFormat !== undefined) {
    const format = toOllamaFormat(request.responseFormat);
    if (format !== undefined) body.format = format;
  }
  const passthrough = request.passthrough;
  const opts = options(request, passthrough?.options);
  if (opts !== undefined) body.options = opts;
  const keepAlive = passthrough?.keep_alive;
  if (typeof keepAlive === 'string' || typeof keepAlive === 'number') body.keep_alive = keepAlive;
  const think = toOllamaThink(request.reasoning);
  if (think !== undefined) body.think = think;
  return {
    origin: endpoint.origin,
    method: 'POST',
    path: endpoint.path,
    headers: endpoint.headers,
    body: JSON.stringify(body),
  };
}
