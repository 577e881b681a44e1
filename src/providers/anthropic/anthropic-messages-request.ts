/**
 * @module providers/anthropic/anthropic-messages-request
 * Canonical ChatRequest → the HTTP request for `POST {base}/v1/messages`.
 *
 * - `max_tokens` is required by Anthropic. When the client set none it is 4096 — an output every
 *   Claude model since Claude 3 accepts — plus the thinking budget when thinking is on, because
 *   Anthropic wants `budget_tokens` below `max_tokens`.
 * - `temperature` is clamped to Anthropic's 0–1 (OpenAI clients may send up to 2; 1 is the
 *   closest Anthropic has to "more random than default"). With thinking on, `temperature` and
 *   `top_k` are left out: Anthropic rejects them together with thinking.
 * - `tool_choice` maps auto/required/{name}/none to auto/any/tool/none; `parallel_tool_calls:
 *   false` becomes `disable_parallel_tool_use`. Tool `strict` is not sent (older models reject it).
 * - `reasoning.budgetTokens` turns on extended thinking; a reasoning effort alone does not (it
 *   has no budget, and models without thinking would reject the request).
 * - `response_format` is emulated as `anthropic-json-output.ts` describes.
 * - `user` becomes `metadata.user_id`. `n > 1` cannot be served by this protocol: the request
 *   fails as INVALID_REQUEST, but retryable, so a plan with another protocol's deployment can
 *   still serve it. Seeds, penalties, logit bias, logprobs and OpenAI passthrough fields have no
 *   Anthropic counterpart and are not sent.
 */

import type { ChatRequest, ToolChoice, ToolDefinition } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';
import { resolveAnthropicEndpoint } from './anthropic-endpoint.js';
import { JSON_OUTPUT_TOOL, jsonInstructions, jsonOutputTool } from './anthropic-json-output.js';
import type {
  AnthropicMessagesRequestBody,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
} from './anthropic-messages-api.js';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.js';

export const DEFAULT_MAX_TOKENS = 4096;

export function toAnthropicTools(tools: readonly ToolDefinition[]): AnthropicTool[] {
  const out: AnthropicTool[] = new Array(tools.length);
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i]!;
    const converted: AnthropicTool = {
      name: tool.name,
      input_schema: tool.parameters ?? { type: 'object', properties: {} },
    };
    if (tool.description !== undefined) converted.description = tool.description;
    out[i] = converted;
  }
  return out;
}

export function toAnthropicToolChoice(
  choice: ToolChoice,
  parallel: boolean | undefined,
): AnthropicToolChoice {
  let out: AnthropicToolChoice;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else out = { type: 'tool', name: choice.name };
  if (parallel === false) out.disable_parallel_tool_use = true;
  return out;
}

function withInstructions(system: AnthropicTextBlock[], text: string): void {
  system.push({ type: 'text', text });
}

export function buildAnthropicMessagesBody(
  request: ChatRequest,
  target: UpstreamTarget,
): AnthropicMessagesRequestBody {
  if (request.n !== undefined && request.n > 1) {
    throw new GatewayError('INVALID_REQUEST', 'n: the Anthropic protocol returns one choice per request', {
      retryable: true,
      details: { field: 'n', provider: target.provider },
    });
  }
  const { system, messages } = convertToAnthropicMessages(request.messages);
  const budget = request.reasoning?.budgetTokens;
  const thinking = budget !== undefined && budget > 0;
  const body: AnthropicMessagesRequestBody = {
    model: target.model,
    messages,
    max_tokens: request.maxTokens ?? (thinking ? budget + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS),
  };
  if (request.stream) body.stream = true;
  if (thinking) body.thinking = { type: 'enabled', budget_tokens: budget };
  if (request.temperature !== undefined && !thinking) body.temperature = Math.min(request.temperature, 1);
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined && !thinking) body.top_k = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;

  let tools =
    request.tools !== undefined && request.tools.length > 0 ? toAnthropicTools(request.tools) : undefined;
  let toolChoice =
    tools !== undefined && request.toolChoice !== undefined
      ? toAnthropicToolChoice(request.toolChoice, request.parallelToolCalls)
      : tools !== undefined && request.parallelToolCalls === false
        ? toAnthropicToolChoice('auto', false)
        : undefined;

  const format = request.responseFormat;
  if (format !== undefined && format.type !== 'text') {
    if (format.type === 'json_schema' && !thinking) {
      const outputTool = jsonOutputTool(format);
      if (tools === undefined || toolChoice?.type === 'none') {
        tools = [outputTool];
        toolChoice = { type: 'tool', name: JSON_OUTPUT_TOOL };
      } else {
        tools.push(outputTool);
        // A client's own forced tool stays forced; otherwise some tool call — a real one or the answer.
        if (toolChoice?.type !== 'tool') toolChoice = { type: 'any' };
      }
    } else {
      withInstructions(system, jsonInstructions(format));
    }
  }
  if (tools !== undefined) body.tools = tools;
  if (toolChoice !== undefined) body.tool_choice = toolChoice;

  if (system.length > 0) {
    const only = system[0]!;
    body.system = system.length === 1 && only.cache_control === undefined ? only.text : system;
  }
  if (request.user !== undefined && request.user !== '') body.metadata = { user_id: request.user };
  return body;
}

export function buildAnthropicMessagesRequest(request: ChatRequest, target: UpstreamTarget): HttpRequest {
  const body = buildAnthropicMessagesBody(request, target);
  const endpoint = resolveAnthropicEndpoint(
    target,
    'messages',
    request.stream ? 'text/event-stream' : 'application/json',
  );
  return {
    origin: endpoint.origin,
    method: 'POST',
    path: endpoint.path,
    headers: endpoint.headers,
    body: JSON.stringify(body),
  };
}
