/**
 * @module mock-upstream/anthropic
 * The Anthropic Messages wire of the mock upstream (`POST …/v1/messages`, key in `x-api-key`),
 * written from the Claude API reference rather than from the gateway's codecs (those are what it
 * tests). Answers are `message` objects; streams are the event sequence Anthropic sends —
 * `message_start`, `content_block_start`, a `ping`, deltas, `content_block_stop`, `message_delta`
 * (stop reason and cumulative usage), `message_stop`. Usage reports the three disjoint prompt
 * classes: `input_tokens` (uncached), `cache_read_input_tokens` (the model's `cached_tokens`
 * setting) and `cache_creation_input_tokens` (`cache_write_tokens`). Faults speak Anthropic:
 * errors are `{type: 'error', error: {type, message}}`, a 503 is Anthropic's 529
 * `overloaded_error`, 429s carry `retry-after` and `anthropic-ratelimit-*` headers, an in-band
 * failure is an `event: error`, and a cut stream simply ends without `message_stop`. A request
 * with extended thinking gets a short signed thinking block first; its cost is the model's
 * `reasoning_tokens` setting.
 */

import type { IncomingHttpHeaders } from 'node:http';
import { decodeMessages, wantsThinking } from './anthropic-request.js';
import type { MockChoice } from './engine.js';
import { hashString } from './random.js';
import type {
  ChatReply,
  DecodedEmbeddings,
  MockUsage,
  MockWire,
  StreamFrame,
  WireError,
  WireErrorOptions,
  WireProblem,
  WireRoute,
} from './wire.js';

type Json = Record<string, unknown>;

const THINKING_TEXT = 'Let me think this through.';
const MODEL_CREATED_AT = '2025-01-01T00:00:00Z';

function match(method: string, pathname: string): WireRoute | undefined {
  if (method === 'POST' && pathname.endsWith('/v1/messages')) return { endpoint: 'chat', model: undefined };
  return undefined;
}

/** The reference documents `x-api-key`; the official SDK (1.x) sends `Authorization: Bearer`. */
function hasKey(headers: IncomingHttpHeaders, key: string): boolean {
  if (headers['x-api-key'] === key) return true;
  const authorization = headers.authorization;
  return authorization !== undefined && authorization === `Bearer ${key}`;
}

/** `msg_mock_N` from the server's `chatcmpl-mock-N`. */
function messageId(reply: ChatReply): string {
  return `msg_mock_${reply.id.slice(reply.id.lastIndexOf('-') + 1)}`;
}

/** Anthropic's tool-use ids start with `toolu_`; the engine's with `call_`. */
function toolUseId(id: string): string {
  return `toolu_${id.startsWith('call_') ? id.slice(5) : id}`;
}

function signature(reply: ChatReply): string {
  return `mock-signature-${(hashString(reply.id) >>> 0).toString(16)}`;
}

function stopReason(choice: MockChoice): string {
  switch (choice.finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    default:
      return choice.refusal ? 'refusal' : 'end_turn';
  }
}

/** The input side of usage: three disjoint classes that add up to the prompt. */
function inputUsage(usage: MockUsage): Json {
  const write = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: usage.inputTokens - usage.cachedInputTokens - write,
    cache_creation_input_tokens: write,
    cache_read_input_tokens: usage.cachedInputTokens,
  };
}

function usageJson(usage: MockUsage, outputTokens: number): Json {
  const out: Json = { ...inputUsage(usage), output_tokens: outputTokens };
  if (usage.reasoningTokens > 0) out.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  return out;
}

function toolInput(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    // Arguments cut by max_tokens are not JSON; Anthropic then sends what it parsed, here nothing.
    return {};
  }
}

function encodeChat(reply: ChatReply): string {
  const choice = reply.choices[0]!;
  const content: Json[] = [];
  if (wantsThinking(reply.decoded)) {
    content.push({ type: 'thinking', thinking: THINKING_TEXT, signature: signature(reply) });
  }
  const text = choice.pieces.join('');
  if (text !== '') content.push({ type: 'text', text });
  const call = choice.toolCall;
  if (call !== undefined) {
    content.push({
      type: 'tool_use',
      id: toolUseId(call.id),
      name: call.name,
      input: toolInput(call.arguments),
    });
  }
  const body: Json = {
    id: messageId(reply),
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    stop_reason: reply.finished ? stopReason(choice) : null,
    stop_sequence: null,
  };
  if (reply.usage !== undefined) body.usage = usageJson(reply.usage, reply.usage.outputTokens);
  return JSON.stringify(body);
}

function event(type: string, data: string): string {
  return `event: ${type}\ndata: ${data}\n\n`;
}

function chatFrames(reply: ChatReply): StreamFrame[] {
  const choice = reply.choices[0]!;
  const frames: StreamFrame[] = [];
  const start: Json = {
    id: messageId(reply),
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
  };
  if (reply.usage !== undefined) start.usage = { ...inputUsage(reply.usage), output_tokens: 1 };
  frames.push({
    data: event('message_start', JSON.stringify({ type: 'message_start', message: start })),
    tokens: 0,
    kind: 'start',
  });

  let index = 0;
  const open = (block: string, tokens: number): void => {
    frames.push({
      data: event(
        'content_block_start',
        `{"type":"content_block_start","index":${index},"content_block":${block}}`,
      ),
      tokens,
      kind: 'content',
    });
  };
  const delta = (body: string): void => {
    frames.push({
      data: event('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":${body}}`),
      tokens: 1,
      kind: 'content',
    });
  };
  const close = (): void => {
    frames.push({
      data: event('content_block_stop', `{"type":"content_block_stop","index":${index}}`),
      tokens: 0,
      kind: 'content',
    });
    index++;
  };

  if (wantsThinking(reply.decoded)) {
    open('{"type":"thinking","thinking":""}', 0);
    frames.push({ data: event('ping', '{"type": "ping"}'), tokens: 0, kind: 'content' });
    // Thinking is billed through the model's reasoning tokens, not per streamed piece.
    frames.push({
      data: event(
        'content_block_delta',
        `{"type":"content_block_delta","index":${index},"delta":{"type":"thinking_delta","thinking":${JSON.stringify(THINKING_TEXT)}}}`,
      ),
      tokens: 0,
      kind: 'content',
    });
    frames.push({
      data: event(
        'content_block_delta',
        `{"type":"content_block_delta","index":${index},"delta":{"type":"signature_delta","signature":"${signature(reply)}"}}`,
      ),
      tokens: 0,
      kind: 'content',
    });
    close();
  }
  if (choice.pieces.length > 0 || choice.toolCall === undefined) {
    open('{"type":"text","text":""}', 0);
    if (index === 0) frames.push({ data: event('ping', '{"type": "ping"}'), tokens: 0, kind: 'content' });
    for (const piece of choice.pieces) delta(`{"type":"text_delta","text":${JSON.stringify(piece)}}`);
    close();
  }
  const call = choice.toolCall;
  if (call !== undefined) {
    // The name is the call's first token, as the engine counts it.
    open(
      `{"type":"tool_use","id":"${toolUseId(call.id)}","name":${JSON.stringify(call.name)},"input":{}}`,
      1,
    );
    for (const piece of call.pieces)
      delta(`{"type":"input_json_delta","partial_json":${JSON.stringify(piece)}}`);
    close();
  }

  const messageDelta: Json = {
    type: 'message_delta',
    delta: { stop_reason: reply.finished ? stopReason(choice) : null, stop_sequence: null },
  };
  // message_delta's usage is cumulative for the whole message, input classes included.
  if (reply.usage !== undefined) messageDelta.usage = usageJson(reply.usage, reply.usage.outputTokens);
  frames.push({
    data: event('message_delta', JSON.stringify(messageDelta)),
    tokens: 0,
    kind: reply.finished ? 'finish' : 'usage',
  });
  frames.push({ data: event('message_stop', '{"type":"message_stop"}'), tokens: 0, kind: 'done' });
  return frames;
}

function errorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function error(status: number, message: string, options: WireErrorOptions = {}): WireError {
  const type = errorType(status);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retryAfter = options.retryAfterS;
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (status === 429) {
    const reset = new Date(Date.now() + (retryAfter ?? 1) * 1000).toISOString();
    headers['anthropic-ratelimit-requests-limit'] = '50';
    headers['anthropic-ratelimit-requests-remaining'] = '0';
    headers['anthropic-ratelimit-requests-reset'] = reset;
  }
  return {
    // Anthropic has no 503: overload is its own 529.
    status: type === 'overloaded_error' ? 529 : status,
    headers,
    body: JSON.stringify({ type: 'error', error: { type, message } }),
  };
}

function streamError(message: string): string {
  return event('error', JSON.stringify({ type: 'error', error: { type: 'api_error', message } }));
}

function malformedFrame(): string {
  return 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tru\n\n';
}

// Anthropic has no embeddings endpoint; `match` never routes one here.
function decodeEmbeddings(): WireProblem {
  return { problem: 'Anthropic has no embeddings endpoint.', param: null };
}

function encodeEmbeddings(request: DecodedEmbeddings): string {
  return JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: request.model } });
}

function modelJson(id: string): Json {
  return { type: 'model', id, display_name: id, created_at: MODEL_CREATED_AT };
}

function encodeModels(ids: readonly string[]): string {
  return JSON.stringify({
    data: ids.map(modelJson),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids.at(-1) ?? null,
  });
}

function encodeModel(id: string): string {
  return JSON.stringify(modelJson(id));
}

/** The Anthropic Messages wire. */
export const anthropicWire: MockWire = {
  match,
  hasKey,
  decodeChat: decodeMessages,
  decodeEmbeddings,
  encodeChat,
  chatFrames,
  encodeEmbeddings,
  encodeModels,
  encodeModel,
  error,
  streamError,
  malformedFrame,
};
