/**
 * @module mock-upstream/openai-request
 * Decodes OpenAI chat-completion and embedding requests into the engine's terms, rejecting what
 * OpenAI rejects (missing model or messages, bad `n`, `top_logprobs` without `logprobs`,
 * `stream_options` without `stream`…) with the parameter named, as its 400s do.
 */

import type { ChatInput, MockMessage, MockResponseFormat, MockTool, MockToolChoice } from './engine.js';
import type { DecodedChat, DecodedEmbeddings, WireProblem, WireRoute } from './wire.js';

const MAX_CHOICES = 128;
const MAX_TOP_LOGPROBS = 20;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function problem(message: string, param: string | null): WireProblem {
  return { problem: message, param };
}

export function decodeChat(body: unknown, route: WireRoute): DecodedChat | WireProblem {
  if (!isRecord(body)) return problem('The request body must be a JSON object.', null);
  const model = route.model ?? body['model'];
  if (typeof model !== 'string' || model === '')
    return problem('you must provide a model parameter', 'model');
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) {
    return problem("Invalid 'messages': expected a non-empty array.", 'messages');
  }
  const messages: MockMessage[] = [];
  for (let i = 0; i < rawMessages.length; i++) {
    const message = decodeMessage(rawMessages[i]);
    if (message === undefined)
      return problem(`Invalid 'messages[${i}]': expected an object with a role.`, `messages[${i}]`);
    messages.push(message);
  }
  const tools = decodeTools(body['tools']);
  if (tools === undefined) return problem("Invalid 'tools': expected an array of function tools.", 'tools');
  const toolChoice = decodeToolChoice(body['tool_choice'], tools);
  if (toolChoice === undefined) return problem("Invalid value for 'tool_choice'.", 'tool_choice');
  const responseFormat = decodeResponseFormat(body['response_format']);
  if (responseFormat === undefined) return problem("Invalid 'response_format'.", 'response_format');

  const maxTokensField = body['max_completion_tokens'] !== undefined ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = body[maxTokensField] ?? undefined;
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) {
    return problem(`Invalid '${maxTokensField}': expected an integer of at least 1.`, maxTokensField);
  }
  const n = body['n'] ?? 1;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_CHOICES) {
    return problem(`Invalid 'n': expected an integer from 1 to ${MAX_CHOICES}.`, 'n');
  }
  const topLogprobs = body['top_logprobs'] ?? undefined;
  if (topLogprobs !== undefined) {
    if (
      !Number.isInteger(topLogprobs) ||
      (topLogprobs as number) < 0 ||
      (topLogprobs as number) > MAX_TOP_LOGPROBS
    ) {
      return problem(
        `Invalid 'top_logprobs': expected an integer from 0 to ${MAX_TOP_LOGPROBS}.`,
        'top_logprobs',
      );
    }
    if (body['logprobs'] !== true)
      return problem("'top_logprobs' requires 'logprobs' to be true.", 'top_logprobs');
  }
  const stream = body['stream'] === true;
  const streamOptions = body['stream_options'];
  if (streamOptions !== undefined && streamOptions !== null && !stream) {
    return problem(
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      'stream_options',
    );
  }
  const input: ChatInput = {
    model,
    messages,
    tools,
    toolChoice,
    responseFormat,
    maxTokens: maxTokens as number | undefined,
    n: n as number,
    topLogprobs: body['logprobs'] === true ? ((topLogprobs as number | undefined) ?? 0) : undefined,
  };
  return { input, stream, includeUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true };
}

function decodeMessage(raw: unknown): MockMessage | undefined {
  if (!isRecord(raw) || typeof raw['role'] !== 'string') return undefined;
  const content = raw['content'];
  let text = typeof content === 'string' ? content : '';
  if (Array.isArray(content)) {
    for (const part of content) {
      if (!isRecord(part)) continue;
      if (typeof part['text'] === 'string') text += part['text'];
      else if (typeof part['refusal'] === 'string') text += part['refusal'];
    }
  }
  const toolCalls = raw['tool_calls'];
  if (Array.isArray(toolCalls)) {
    for (const call of toolCalls) {
      const fn = isRecord(call) ? call['function'] : undefined;
      if (isRecord(fn)) text += ` ${String(fn['name'] ?? '')} ${String(fn['arguments'] ?? '')}`;
    }
  }
  return { role: raw['role'], text };
}

function decodeTools(raw: unknown): MockTool[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return undefined;
  const tools: MockTool[] = [];
  for (const tool of raw) {
    if (!isRecord(tool)) return undefined;
    const fn = tool['function'];
    // Only function tools can be called back; other kinds (custom, hosted) are ignored.
    if (tool['type'] !== 'function' || !isRecord(fn)) continue;
    if (typeof fn['name'] !== 'string' || fn['name'] === '') return undefined;
    tools.push({
      name: fn['name'],
      description: typeof fn['description'] === 'string' ? fn['description'] : '',
      parameters: fn['parameters'],
    });
  }
  return tools;
}

function decodeToolChoice(raw: unknown, tools: readonly MockTool[]): MockToolChoice | undefined {
  if (raw === undefined || raw === null || raw === 'auto') return { kind: 'auto' };
  if (raw === 'none') return { kind: 'none' };
  if (raw === 'required') return { kind: 'required' };
  if (isRecord(raw) && raw['type'] === 'function' && isRecord(raw['function'])) {
    const name = raw['function']['name'];
    if (typeof name === 'string' && tools.some((tool) => tool.name === name)) return { kind: 'tool', name };
  }
  return undefined;
}

function decodeResponseFormat(raw: unknown): MockResponseFormat | undefined {
  if (raw === undefined || raw === null) return { kind: 'text' };
  if (!isRecord(raw)) return undefined;
  switch (raw['type']) {
    case 'text':
      return { kind: 'text' };
    case 'json_object':
      return { kind: 'json_object' };
    case 'json_schema': {
      const spec = raw['json_schema'];
      if (!isRecord(spec) || typeof spec['name'] !== 'string') return undefined;
      return { kind: 'json_schema', schema: spec['schema'] ?? { type: 'object' } };
    }
    default:
      return undefined;
  }
}

export function decodeEmbeddings(body: unknown, route: WireRoute): DecodedEmbeddings | WireProblem {
  if (!isRecord(body)) return problem('The request body must be a JSON object.', null);
  const model = route.model ?? body['model'];
  if (typeof model !== 'string' || model === '')
    return problem('you must provide a model parameter', 'model');
  const raw = body['input'];
  let inputs: (string | readonly number[])[];
  if (typeof raw === 'string') inputs = [raw];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((item) => typeof item === 'number'))
    inputs = [raw];
  else if (Array.isArray(raw) && raw.length > 0) inputs = raw;
  else return problem("'input' must be a non-empty string or array.", 'input');
  for (const item of inputs) {
    const valid =
      (typeof item === 'string' && item.length > 0) ||
      (Array.isArray(item) && item.length > 0 && item.every((token) => Number.isInteger(token)));
    if (!valid) return problem("'input' must not contain empty or non-text items.", 'input');
  }
  const dimensions = body['dimensions'] ?? undefined;
  if (
    dimensions !== undefined &&
    !(Number.isInteger(dimensions) && (dimensions as number) >= 1 && (dimensions as number) <= 8192)
  ) {
    return problem("Invalid 'dimensions': expected an integer from 1 to 8192.", 'dimensions');
  }
  const format = body['encoding_format'] ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    return problem("Invalid 'encoding_format': expected 'float' or 'base64'.", 'encoding_format');
  }
  return { model, inputs, dimensions: dimensions as number | undefined, base64: format === 'base64' };
}
