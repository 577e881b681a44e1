/**
 * @module mock-upstream/openai
 * The OpenAI wire of the mock upstream, written from the public API reference rather than from
 * the gateway's codecs (those are what it tests). It serves any path ending in
 * `/chat/completions`, `/embeddings` or `/models`, which covers api.openai.com, Azure
 * (`/openai/deployments/{name}/…`, the model comes from the path), GitHub Models and other
 * OpenAI-compatible servers. Stream events are built from a per-request prefix and small string
 * pieces rather than one `JSON.stringify` per chunk, because benchmarks push it hard.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { MockChoice, TokenLogprob } from './engine.js';
import { decodeChat, decodeEmbeddings } from './openai-request.js';
import type {
  ChatReply,
  DecodedEmbeddings,
  MockUsage,
  MockWire,
  StreamFrame,
  WireError,
  WireErrorOptions,
  WireRoute,
} from './wire.js';

const SYSTEM_FINGERPRINT = 'fp_mock';
type Json = Record<string, unknown>;

// ---- Routes and keys --------------------------------------------------------------------

function match(method: string, pathname: string): WireRoute | undefined {
  if (method === 'POST') {
    if (pathname.endsWith('/chat/completions')) {
      return { endpoint: 'chat', model: deploymentName(pathname, '/chat/completions') };
    }
    if (pathname.endsWith('/embeddings'))
      return { endpoint: 'embeddings', model: deploymentName(pathname, '/embeddings') };
    return undefined;
  }
  if (method !== 'GET') return undefined;
  if (pathname.endsWith('/models')) return { endpoint: 'models', model: undefined };
  const at = pathname.indexOf('/models/');
  if (at !== -1 && at + 8 < pathname.length)
    return { endpoint: 'model', model: decodePathPart(pathname.slice(at + 8)) };
  return undefined;
}

/** Azure names the model in the path: `/openai/deployments/{name}/chat/completions`. */
function deploymentName(pathname: string, suffix: string): string | undefined {
  const marker = '/deployments/';
  const at = pathname.indexOf(marker);
  if (at === -1) return undefined;
  const name = pathname.slice(at + marker.length, pathname.length - suffix.length);
  return name === '' ? undefined : decodePathPart(name);
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function hasKey(headers: IncomingHttpHeaders, key: string): boolean {
  const authorization = headers['authorization'];
  if (authorization !== undefined && authorization.length === key.length + 7 && authorization.endsWith(key)) {
    return authorization.slice(0, 7).toLowerCase() === 'bearer ';
  }
  return headers['api-key'] === key;
}

// ---- Responses --------------------------------------------------------------------------

function usageJson(usage: MockUsage): Json {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Structured outputs carry a refusal in `refusal` with no content; plain chat says it as content. */
function refusalField(reply: ChatReply, choice: MockChoice): boolean {
  return choice.refusal && reply.decoded.input.responseFormat.kind === 'json_schema';
}

function logprobJson(token: string, logprob: TokenLogprob): Json {
  return {
    token,
    logprob: logprob.logprob,
    bytes: [...Buffer.from(token)],
    top_logprobs: logprob.top.map((top) => ({
      token: top.token,
      logprob: top.logprob,
      bytes: [...Buffer.from(top.token)],
    })),
  };
}

function encodeChat(reply: ChatReply): string {
  const choices = reply.choices.map((choice, index) => {
    const text = choice.pieces.join('');
    const asRefusal = refusalField(reply, choice);
    const message: Json = {
      role: 'assistant',
      content: choice.toolCall !== undefined || asRefusal ? null : text,
      refusal: asRefusal ? text : null,
      annotations: [],
    };
    if (choice.toolCall !== undefined) {
      message['tool_calls'] = [
        {
          id: choice.toolCall.id,
          type: 'function',
          function: { name: choice.toolCall.name, arguments: choice.toolCall.arguments },
        },
      ];
    }
    const logprobs =
      choice.logprobs === undefined
        ? null
        : {
            content: choice.pieces.map((piece, i) => logprobJson(piece, choice.logprobs![i]!)),
            refusal: null,
          };
    return { index, message, logprobs, finish_reason: reply.finished ? choice.finishReason : null };
  });
  const body: Json = {
    id: reply.id,
    object: 'chat.completion',
    created: reply.created,
    model: reply.model,
    choices,
  };
  if (reply.usage !== undefined) body['usage'] = usageJson(reply.usage);
  body['service_tier'] = 'default';
  body['system_fingerprint'] = SYSTEM_FINGERPRINT;
  return JSON.stringify(body);
}

function chunkPrefix(reply: ChatReply): string {
  return `data: {"id":"${reply.id}","object":"chat.completion.chunk","created":${reply.created},"model":${JSON.stringify(reply.model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","choices":[`;
}

function chatFrames(reply: ChatReply): StreamFrame[] {
  const prefix = chunkPrefix(reply);
  // With include_usage, OpenAI puts `"usage":null` on every chunk before the usage chunk.
  const suffix = reply.decoded.includeUsage ? '],"usage":null}\n\n' : ']}\n\n';
  const perChoice = reply.choices.map((choice, index) => choiceFrames(reply, choice, index, prefix, suffix));
  const frames: StreamFrame[] = [];
  // Choices are interleaved round-robin, as OpenAI does when n > 1.
  for (let step = 0, added = true; added; step++) {
    added = false;
    for (const list of perChoice) {
      const frame = list[step];
      if (frame !== undefined) {
        frames.push(frame);
        added = true;
      }
    }
  }
  if (reply.decoded.includeUsage && reply.usage !== undefined) {
    frames.push({
      data: `${prefix}],"usage":${JSON.stringify(usageJson(reply.usage))}}\n\n`,
      tokens: 0,
      kind: 'usage',
    });
  }
  frames.push({ data: 'data: [DONE]\n\n', tokens: 0, kind: 'done' });
  return frames;
}

function choiceFrames(
  reply: ChatReply,
  choice: MockChoice,
  index: number,
  prefix: string,
  suffix: string,
): StreamFrame[] {
  const frames: StreamFrame[] = [];
  const open = `${prefix}{"index":${index},"delta":`;
  const close = `,"finish_reason":null}${suffix}`;
  const call = choice.toolCall;
  if (call !== undefined) {
    const start = `{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"${call.id}","type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}],"refusal":null}`;
    frames.push({ data: `${open}${start},"logprobs":null${close}`, tokens: 1, kind: 'start' });
    for (const piece of call.pieces) {
      const delta = `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(piece)}}}]}`;
      frames.push({ data: `${open}${delta},"logprobs":null${close}`, tokens: 1, kind: 'content' });
    }
  } else {
    const field = refusalField(reply, choice) ? 'refusal' : 'content';
    const start =
      field === 'refusal'
        ? '{"role":"assistant","content":null,"refusal":""}'
        : '{"role":"assistant","content":"","refusal":null}';
    frames.push({ data: `${open}${start},"logprobs":null${close}`, tokens: 0, kind: 'start' });
    for (let i = 0; i < choice.pieces.length; i++) {
      const piece = choice.pieces[i]!;
      const logprob = choice.logprobs?.[i];
      const logprobs =
        logprob === undefined
          ? 'null'
          : JSON.stringify({ content: [logprobJson(piece, logprob)], refusal: null });
      frames.push({
        data: `${open}{"${field}":${JSON.stringify(piece)}},"logprobs":${logprobs}${close}`,
        tokens: 1,
        kind: 'content',
      });
    }
  }
  if (reply.finished) {
    frames.push({
      data: `${open}{},"logprobs":null,"finish_reason":"${choice.finishReason}"}${suffix}`,
      tokens: 0,
      kind: 'finish',
    });
  }
  return frames;
}

function malformedFrame(reply: ChatReply): string {
  return `${chunkPrefix(reply)}{"index":0,"delta":{"content":"tru\n\n`;
}

function streamError(message: string): string {
  return `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } })}\n\n`;
}

function encodeEmbeddings(
  request: DecodedEmbeddings,
  vectors: readonly Float32Array[],
  usage: MockUsage | undefined,
): string {
  let data = '';
  for (let i = 0; i < vectors.length; i++) {
    const vector = vectors[i]!;
    // Float32 values stored little-endian, which is what OpenAI's base64 encoding means.
    const embedding = request.base64
      ? `"${Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')}"`
      : `[${vector.join(',')}]`;
    data += `${i === 0 ? '' : ','}{"object":"embedding","index":${i},"embedding":${embedding}}`;
  }
  const usageText =
    usage === undefined
      ? ''
      : `,"usage":{"prompt_tokens":${usage.inputTokens},"total_tokens":${usage.inputTokens}}`;
  return `{"object":"list","data":[${data}],"model":${JSON.stringify(request.model)}${usageText}}`;
}

const MODEL_CREATED = 1_700_000_000;

function modelJson(id: string): Json {
  return { id, object: 'model', created: MODEL_CREATED, owned_by: 'switchyard-mock' };
}

function encodeModels(ids: readonly string[]): string {
  return JSON.stringify({ object: 'list', data: ids.map(modelJson) });
}

function encodeModel(id: string): string {
  return JSON.stringify(modelJson(id));
}

function errorType(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 404) return { type: 'invalid_request_error', code: 'not_found' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

function error(status: number, message: string, options: WireErrorOptions = {}): WireError {
  const { type, code } = errorType(status);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retryAfter = options.retryAfterS;
  if (retryAfter !== undefined) {
    headers['retry-after'] = String(retryAfter);
    headers['retry-after-ms'] = String(Math.round(retryAfter * 1000));
  }
  if (status === 429) {
    headers['x-ratelimit-limit-requests'] = '500';
    headers['x-ratelimit-remaining-requests'] = '0';
    headers['x-ratelimit-reset-requests'] = `${retryAfter ?? 1}s`;
  }
  const body = JSON.stringify({ error: { message, type, param: options.param ?? null, code } });
  return { status, headers, body };
}

/** The OpenAI wire. */
export const openAiWire: MockWire = {
  match,
  hasKey,
  decodeChat,
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
