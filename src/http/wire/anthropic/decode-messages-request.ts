/**
 * @module http/wire/anthropic/decode-messages-request
 * An Anthropic `POST /v1/messages` body → canonical ChatRequest, validated field by field, each
 * error INVALID_REQUEST naming its path. The request may go to any provider, so only what the
 * canonical model can carry is accepted: custom tools (server tools such as web search are
 * rejected), `tool_choice`, manual extended thinking (`thinking.budget_tokens`; adaptive thinking
 * has no canonical form and is accepted as "no budget"), structured output
 * (`output_config.format` json_schema, and `output_config.effort`), `metadata.user_id` as the end
 * user. `service_tier`, `inference_geo` and `speed` are accepted and not forwarded; features the
 * gateway cannot provide for every upstream (`container`, `mcp_servers`, `context_management`)
 * are rejected, and so is any field Anthropic does not define — Anthropic rejects those too.
 * Routing options come in the `switchyard` field, as on the OpenAI wire.
 */

import type { ChatRequest, Message, ToolChoice, ToolDefinition } from '../../../core/chat.js';
import { decodeRoutingOptions } from '../openai/decode-routing-options.js';
import {
  expectBoolean,
  expectIntegerInRange,
  expectNonEmptyString,
  expectNumberInRange,
  expectPositiveInteger,
  expectString,
  expectStringArray,
  fail,
  isAbsent,
  isIdentifierName,
  isRecord,
} from '../openai/field-checks.js';
import { decodeAnthropicMessages, decodeSystem } from './decode-anthropic-messages.js';

const MAX_MODEL_CHARS = 256;
const MAX_OUTPUT_TOKENS = 1_000_000;
const MAX_TOOLS = 512;
const MAX_TOOL_NAME_CHARS = 128;
const MAX_STOP_SEQUENCES = 64;
const MIN_THINKING_BUDGET = 1024;

/** Accepted for compatibility; they only tune Anthropic's own serving and are not forwarded. */
const IGNORED_FIELDS = new Set(['service_tier', 'inference_geo', 'speed']);
const UNSUPPORTED_FIELDS = new Set(['container', 'mcp_servers', 'context_management']);
const EFFORTS = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

function decodeTools(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) fail('tools', 'expected an array of tools');
  if (value.length > MAX_TOOLS) fail('tools', `at most ${MAX_TOOLS} tools are allowed`);
  const tools: ToolDefinition[] = [];
  for (let i = 0; i < value.length; i++) {
    const path = `tools.${i}`;
    const tool = value[i];
    if (!isRecord(tool)) fail(path, 'expected a tool object');
    if (!isAbsent(tool.type) && tool.type !== 'custom') {
      fail(
        `${path}.type`,
        `server tool '${String(tool.type)}' is not supported; only custom tools can be routed`,
      );
    }
    const name = expectString(tool.name, `${path}.name`);
    if (!isIdentifierName(name, MAX_TOOL_NAME_CHARS))
      fail(`${path}.name`, 'must be 1-128 characters of letters, digits, underscores and dashes');
    if (!isRecord(tool.input_schema)) fail(`${path}.input_schema`, 'expected a JSON Schema object');
    const definition: ToolDefinition = { name, parameters: tool.input_schema };
    if (!isAbsent(tool.description))
      definition.description = expectString(tool.description, `${path}.description`);
    if (!isAbsent(tool.strict)) definition.strict = expectBoolean(tool.strict, `${path}.strict`);
    tools.push(definition);
  }
  return tools;
}

function decodeToolChoice(value: unknown, request: ChatRequest): ToolChoice {
  if (!isRecord(value)) fail('tool_choice', "expected {type: 'auto' | 'any' | 'tool' | 'none'}");
  if (!isAbsent(value.disable_parallel_tool_use)) {
    if (expectBoolean(value.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use')) {
      request.parallelToolCalls = false;
    }
  }
  switch (value.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { name: expectNonEmptyString(value.name, 'tool_choice.name') };
    default:
      fail('tool_choice.type', "expected 'auto', 'any', 'tool' or 'none'");
  }
}

function decodeThinking(value: unknown, request: ChatRequest): void {
  if (!isRecord(value)) fail('thinking', 'expected an object');
  switch (value.type) {
    case 'enabled': {
      const budget = expectPositiveInteger(value.budget_tokens, 'thinking.budget_tokens', MAX_OUTPUT_TOKENS);
      if (budget < MIN_THINKING_BUDGET)
        fail('thinking.budget_tokens', `must be at least ${MIN_THINKING_BUDGET}`);
      request.reasoning = { ...request.reasoning, budgetTokens: budget };
      return;
    }
    case 'disabled':
    case 'adaptive':
      return;
    default:
      fail('thinking.type', "expected 'enabled', 'disabled' or 'adaptive'");
  }
}

function decodeOutputConfig(value: unknown, request: ChatRequest): void {
  if (!isRecord(value)) fail('output_config', 'expected an object');
  if (!isAbsent(value.effort)) {
    const effort = expectString(value.effort, 'output_config.effort');
    if (!EFFORTS.has(effort)) fail('output_config.effort', 'expected one of low, medium, high, xhigh, max');
    request.reasoning = {
      ...request.reasoning,
      effort: effort as 'low' | 'medium' | 'high' | 'xhigh' | 'max',
    };
  }
  const format = value.format;
  if (isAbsent(format)) return;
  if (!isRecord(format) || format.type !== 'json_schema') {
    fail('output_config.format', "expected {type: 'json_schema', schema}");
  }
  if (!isRecord(format.schema)) fail('output_config.format.schema', 'expected a JSON Schema object');
  request.responseFormat = { type: 'json_schema', jsonSchema: { name: 'output', schema: format.schema } };
}

function decodeMetadata(value: unknown, request: ChatRequest): void {
  if (!isRecord(value)) fail('metadata', 'expected an object');
  for (const key of Object.keys(value)) {
    if (key !== 'user_id') fail(`metadata.${key}`, 'Anthropic metadata only has user_id');
  }
  if (!isAbsent(value.user_id)) {
    const user = expectString(value.user_id, 'metadata.user_id');
    if (user !== '') request.user = user;
  }
}

export function decodeMessagesRequest(body: unknown): ChatRequest {
  if (!isRecord(body)) fail('body', 'expected a JSON object');
  const messages: Message[] = [];
  const system = decodeSystem(body.system);
  if (system !== undefined) messages.push(system);
  decodeAnthropicMessages(body.messages, messages);
  const request: ChatRequest = {
    model: expectNonEmptyString(body.model, 'model', MAX_MODEL_CHARS),
    messages,
    stream: false,
    maxTokens: expectPositiveInteger(body.max_tokens, 'max_tokens', MAX_OUTPUT_TOKENS),
  };

  for (const key of Object.keys(body)) {
    const value = body[key];
    switch (key) {
      case 'model':
      case 'messages':
      case 'system':
      case 'max_tokens':
        continue;
      case 'stream':
        if (!isAbsent(value)) request.stream = expectBoolean(value, key);
        continue;
      case 'temperature':
        if (!isAbsent(value)) request.temperature = expectNumberInRange(value, key, 0, 1);
        continue;
      case 'top_p':
        if (!isAbsent(value)) request.topP = expectNumberInRange(value, key, 0, 1);
        continue;
      case 'top_k':
        if (!isAbsent(value)) request.topK = expectIntegerInRange(value, key, 1, 1_000_000);
        continue;
      case 'stop_sequences':
        if (!isAbsent(value)) request.stop = expectStringArray(value, key, MAX_STOP_SEQUENCES).slice();
        continue;
      case 'tools':
        if (!isAbsent(value)) request.tools = decodeTools(value);
        continue;
      case 'tool_choice':
        if (!isAbsent(value)) request.toolChoice = decodeToolChoice(value, request);
        continue;
      case 'thinking':
        if (!isAbsent(value)) decodeThinking(value, request);
        continue;
      case 'output_config':
        if (!isAbsent(value)) decodeOutputConfig(value, request);
        continue;
      case 'metadata':
        if (!isAbsent(value)) decodeMetadata(value, request);
        continue;
      case 'switchyard': {
        const routing = decodeRoutingOptions(value);
        if (routing !== undefined) request.routing = routing;
        continue;
      }
      default:
        if (IGNORED_FIELDS.has(key)) continue;
        if (UNSUPPORTED_FIELDS.has(key)) fail(key, 'is not supported by this gateway');
        fail(key, 'unknown field');
    }
  }

  const choice = request.toolChoice;
  if (typeof choice === 'object' && !request.tools?.some((tool) => tool.name === choice.name)) {
    fail('tool_choice.name', `no tool named '${choice.name}' in tools`);
  }
  return request;
}
