/**
 * @module providers/openai/openai-chat-request
 * Canonical ChatRequest → the HTTP request for `POST …/chat/completions`. Every canonical field
 * OpenAI has a name for is sent under that name; the client's `passthrough` fields follow but
 * never replace a field the canonical request set, and never touch the fields this adapter owns
 * (model, messages, stream, the token limit) or anything that could redirect the call. Streams
 * always ask for usage (`stream_options.include_usage`) so the gateway can account for them.
 */

import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat.js';
import { UPSTREAM_TARGETING_FIELDS } from '../../core/upstream-fields.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';
import { convertToOpenAIChatMessages } from './convert-to-openai-chat-messages.js';
import type {
  OpenAIChatRequestBody,
  OpenAIFunctionTool,
  OpenAIResponseFormat,
  OpenAIToolChoice,
} from './openai-chat-api.js';
import { stringifyBuiltChatBody } from './openai-chat-json.js';
import { resolveOpenAIEndpoint } from './openai-presets.js';

/** Body fields only this adapter decides, whatever passthrough says. */
const ADAPTER_OWNED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  // Fields that could re-target or re-credential the call (the ingress drops them too).
  ...UPSTREAM_TARGETING_FIELDS,
]);

export function toOpenAITools(tools: readonly ToolDefinition[]): OpenAIFunctionTool[] {
  const out: OpenAIFunctionTool[] = [];
  for (const tool of tools) {
    const fn: OpenAIFunctionTool['function'] = { name: tool.name };
    if (tool.description !== undefined) fn.description = tool.description;
    if (tool.parameters !== undefined) fn.parameters = tool.parameters;
    if (tool.strict !== undefined) fn.strict = tool.strict;
    out.push({ type: 'function', function: fn });
  }
  return out;
}

export function toOpenAIToolChoice(choice: ToolChoice): OpenAIToolChoice {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

export function toOpenAIResponseFormat(format: ResponseFormat): OpenAIResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  const schema = format.jsonSchema;
  const out: Extract<OpenAIResponseFormat, { type: 'json_schema' }>['json_schema'] = { name: schema.name };
  if (schema.description !== undefined) out.description = schema.description;
  if (schema.schema !== undefined) out.schema = schema.schema;
  if (schema.strict !== undefined) out.strict = schema.strict;
  return { type: 'json_schema', json_schema: out };
}

export function buildOpenAIChatRequest(request: ChatRequest, target: UpstreamTarget): HttpRequest {
  const endpoint = resolveOpenAIEndpoint(target, 'chat/completions', request.stream);
  const body: OpenAIChatRequestBody = { messages: convertToOpenAIChatMessages(request.messages) };
  if (endpoint.modelInBody) body.model = target.model;
  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (request.maxTokens !== undefined) body[endpoint.maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  if (request.n !== undefined) body.n = request.n;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.logitBias !== undefined) body.logit_bias = request.logitBias;
  if (request.logprobs !== undefined) body.logprobs = request.logprobs;
  if (request.topLogprobs !== undefined) body.top_logprobs = request.topLogprobs;
  if (request.tools !== undefined && request.tools.length > 0) body.tools = toOpenAITools(request.tools);
  if (request.toolChoice !== undefined) body.tool_choice = toOpenAIToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat !== undefined)
    body.response_format = toOpenAIResponseFormat(request.responseFormat);
  if (request.reasoning?.effort !== undefined) body.reasoning_effort = request.reasoning.effort;
  if (request.user !== undefined) body.user = request.user;
  if (request.metadata !== undefined && endpoint.forwardsMetadata) body.metadata = request.metadata;

  const passthrough = request.passthrough;
  if (passthrough !== undefined) {
    for (const key of Object.keys(passthrough)) {
      if (ADAPTER_OWNED.has(key) || body[key] !== undefined) continue;
      const value = passthrough[key];
      if (value !== undefined) body[key] = value;
    }
  }

  return {
    origin: endpoint.origin,
    method: 'POST',
    path: endpoint.path,
    headers: endpoint.headers,
    body: stringifyBuiltChatBody(body),
  };
}
