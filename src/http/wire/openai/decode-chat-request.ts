/**
 * @module http/wire/openai/decode-chat-request
 * An OpenAI `POST /v1/chat/completions` body → canonical ChatRequest, validated field by field.
 * A bad field is INVALID_REQUEST naming its exact path. Fields the canonical model has no name
 * for go to `passthrough`, so an OpenAI client talking to an OpenAI-protocol upstream loses
 * nothing — except fields that could send the call elsewhere or with other credentials
 * (`api_base`, `api_key`, `extra_headers`, …), which are dropped. Legacy function calling
 * (`functions`, `function_call`, the `function` role) is rejected rather than half-supported.
 */

import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../../core/chat.js';
import { UPSTREAM_TARGETING_FIELDS } from '../../../core/upstream-fields.js';
import { decodeMessages } from './decode-chat-messages.js';
import { decodeRoutingOptions } from './decode-routing-options.js';
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
} from './field-checks.js';

const MAX_TOOLS = 512;
const MAX_OUTPUT_TOKENS = 1_000_000;
const MAX_MODEL_CHARS = 256;

/** Fields that could redirect or re-credential the upstream call; never passed on. */
export const DROPPED_FIELDS: ReadonlySet<string> = new Set(UPSTREAM_TARGETING_FIELDS);

const CANONICAL_EFFORTS: ReadonlySet<string> = new Set([
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
]);

function decodeTools(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) fail('tools', 'expected an array of tools');
  if (value.length > MAX_TOOLS) fail('tools', `at most ${MAX_TOOLS} tools are allowed`);
  const tools: ToolDefinition[] = [];
  for (let i = 0; i < value.length; i++) {
    const path = `tools[${i}]`;
    const tool = value[i];
    if (!isRecord(tool)) fail(path, 'expected a tool object');
    if (tool.type !== 'function') {
      fail(
        `${path}.type`,
        typeof tool.type === 'string' ? `unsupported tool type '${tool.type}'` : "expected 'function'",
      );
    }
    const fn = tool.function;
    if (!isRecord(fn)) fail(`${path}.function`, 'expected a function definition object');
    const name = expectString(fn.name, `${path}.function.name`);
    if (!isIdentifierName(name)) {
      fail(`${path}.function.name`, 'must be 1-64 characters of letters, digits, underscores and dashes');
    }
    const definition: ToolDefinition = { name };
    if (!isAbsent(fn.description))
      definition.description = expectString(fn.description, `${path}.function.description`);
    if (!isAbsent(fn.parameters)) {
      if (!isRecord(fn.parameters)) fail(`${path}.function.parameters`, 'expected a JSON Schema object');
      definition.parameters = fn.parameters;
    }
    if (!isAbsent(fn.strict)) definition.strict = expectBoolean(fn.strict, `${path}.function.strict`);
    tools.push(definition);
  }
  return tools;
}

function decodeToolChoice(value: unknown): ToolChoice {
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (isRecord(value) && value.type === 'function') {
    const fn = value.function;
    if (!isRecord(fn)) fail('tool_choice.function', 'expected an object with a name');
    return { name: expectNonEmptyString(fn.name, 'tool_choice.function.name') };
  }
  fail('tool_choice', "expected 'auto', 'none', 'required' or {type: 'function', function: {name}}");
}

function decodeResponseFormat(value: unknown): ResponseFormat {
  if (!isRecord(value)) fail('response_format', 'expected an object');
  const type = value.type;
  if (type === 'text' || type === 'json_object') return { type };
  if (type !== 'json_schema') fail('response_format.type', 'expected one of text, json_object, json_schema');
  const spec = value.json_schema;
  if (!isRecord(spec)) fail('response_format.json_schema', 'required for type json_schema');
  if (isAbsent(spec.name)) fail('response_format.json_schema.name', 'required');
  const name = expectString(spec.name, 'response_format.json_schema.name');
  if (!isIdentifierName(name)) {
    fail(
      'response_format.json_schema.name',
      'must be 1-64 characters of letters, digits, underscores and dashes',
    );
  }
  const jsonSchema: Extract<ResponseFormat, { type: 'json_schema' }>['jsonSchema'] = { name };
  if (!isAbsent(spec.description)) {
    jsonSchema.description = expectString(spec.description, 'response_format.json_schema.description');
  }
  if (!isAbsent(spec.schema)) {
    if (!isRecord(spec.schema)) fail('response_format.json_schema.schema', 'expected a JSON Schema object');
    jsonSchema.schema = spec.schema;
  }
  if (!isAbsent(spec.strict))
    jsonSchema.strict = expectBoolean(spec.strict, 'response_format.json_schema.strict');
  return { type: 'json_schema', jsonSchema };
}

function decodeStop(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return expectStringArray(value, 'stop', 4).slice();
}

function decodeLogitBias(value: unknown): Record<string, number> {
  if (!isRecord(value)) fail('logit_bias', 'expected an object of token ids to numbers');
  const out: Record<string, number> = {};
  for (const key of Object.keys(value))
    out[key] = expectNumberInRange(value[key], `logit_bias.${key}`, -100, 100);
  return out;
}

function decodeMetadata(value: unknown): Record<string, string> {
  if (!isRecord(value)) fail('metadata', 'expected an object of string values');
  const out: Record<string, string> = {};
  for (const key of Object.keys(value)) out[key] = expectString(value[key], `metadata.${key}`);
  return out;
}

export function decodeChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body)) fail('body', 'expected a JSON object');
  const request: ChatRequest = {
    model: expectNonEmptyString(body.model, 'model', MAX_MODEL_CHARS),
    messages: decodeMessages(body.messages),
    stream: false,
  };
  let passthrough: Record<string, unknown> | undefined;
  let maxTokens: number | undefined;
  let maxCompletionTokens: number | undefined;

  for (const key of Object.keys(body)) {
    const value = body[key];
    if (key === 'model' || key === 'messages') continue;
    // `null` is how OpenAI clients spell "not set"; unknown fields keep their nulls below.
    switch (key) {
      case 'stream':
        if (!isAbsent(value)) request.stream = expectBoolean(value, key);
        continue;
      case 'stream_options':
        if (!isAbsent(value)) {
          if (!isRecord(value)) fail(key, 'expected an object');
          if (!isAbsent(value.include_usage)) {
            request.streamIncludeUsage = expectBoolean(value.include_usage, 'stream_options.include_usage');
          }
        }
        continue;
      case 'max_tokens':
        if (!isAbsent(value)) maxTokens = expectPositiveInteger(value, key, MAX_OUTPUT_TOKENS);
        continue;
      case 'max_completion_tokens':
        if (!isAbsent(value)) maxCompletionTokens = expectPositiveInteger(value, key, MAX_OUTPUT_TOKENS);
        continue;
      case 'n':
        if (!isAbsent(value)) request.n = expectIntegerInRange(value, key, 1, 128);
        continue;
      case 'temperature':
        if (!isAbsent(value)) request.temperature = expectNumberInRange(value, key, 0, 2);
        continue;
      case 'top_p':
        if (!isAbsent(value)) request.topP = expectNumberInRange(value, key, 0, 1);
        continue;
      case 'presence_penalty':
        if (!isAbsent(value)) request.presencePenalty = expectNumberInRange(value, key, -2, 2);
        continue;
      case 'frequency_penalty':
        if (!isAbsent(value)) request.frequencyPenalty = expectNumberInRange(value, key, -2, 2);
        continue;
      case 'stop':
        if (!isAbsent(value)) request.stop = decodeStop(value);
        continue;
      case 'seed':
        if (!isAbsent(value)) {
          if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(key, 'expected an integer');
          request.seed = value;
        }
        continue;
      case 'logprobs':
        if (!isAbsent(value)) request.logprobs = expectBoolean(value, key);
        continue;
      case 'top_logprobs':
        if (!isAbsent(value)) request.topLogprobs = expectIntegerInRange(value, key, 0, 20);
        continue;
      case 'logit_bias':
        if (!isAbsent(value)) request.logitBias = decodeLogitBias(value);
        continue;
      case 'tools':
        if (!isAbsent(value)) request.tools = decodeTools(value);
        continue;
      case 'tool_choice':
        if (!isAbsent(value)) request.toolChoice = decodeToolChoice(value);
        continue;
      case 'parallel_tool_calls':
        if (!isAbsent(value)) request.parallelToolCalls = expectBoolean(value, key);
        continue;
      case 'response_format':
        if (!isAbsent(value)) request.responseFormat = decodeResponseFormat(value);
        continue;
      case 'user':
        if (!isAbsent(value)) request.user = expectString(value, key);
        continue;
      case 'metadata':
        if (!isAbsent(value)) request.metadata = decodeMetadata(value);
        continue;
      case 'reasoning_effort':
        if (isAbsent(value)) continue;
        if (CANONICAL_EFFORTS.has(expectNonEmptyString(value, key, 32))) {
          request.reasoning = { effort: value as NonNullable<ChatRequest['reasoning']>['effort'] };
          continue;
        }
        // Efforts the canonical model has no name for still reach OpenAI-protocol upstreams.
        break;
      case 'switchyard': {
        const routing = decodeRoutingOptions(value);
        if (routing !== undefined) request.routing = routing;
        continue;
      }
      case 'functions':
      case 'function_call':
        if (!isAbsent(value))
          fail(key, 'legacy function calling is not supported; use tools and tool_choice');
        continue;
      default:
        if (DROPPED_FIELDS.has(key) || value === undefined) continue;
    }
    if (passthrough === undefined) passthrough = {};
    passthrough[key] = value;
  }

  const limit = maxCompletionTokens ?? maxTokens;
  if (limit !== undefined) request.maxTokens = limit;
  const choice = request.toolChoice;
  if (
    typeof choice === 'object' &&
    request.tools !== undefined &&
    !request.tools.some((t) => t.name === choice.name)
  ) {
    fail('tool_choice.function.name', `no tool named '${choice.name}' in tools`);
  }
  if (passthrough !== undefined) request.passthrough = passthrough;
  return request;
}
