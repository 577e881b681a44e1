/**
 * @module mock-upstream/ollama
 * Ollama's native wire for the mock upstream, written from Ollama's API reference (docs/api.md,
 * docs/api/errors.mdx, docs/api/usage.mdx in github.com/ollama/ollama), not from the gateway's
 * adapter it tests. It serves `POST /api/chat` (one JSON body, or NDJSON lines whose last one has
 * `done: true` with `done_reason` and the counts), `POST /api/embed` and `GET /api/tags`. Errors
 * are `{"error": "…"}`; mid-stream they are such a line. Like Ollama's Go encoder, it leaves out
 * zero counts (`omitempty`), gives tool calls whole with their arguments as an object and no id,
 * and reports thinking models' reasoning inside `eval_count`, with its text in `thinking` when
 * the request asked the model to think.
 */

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { MockChoice } from './engine.js';
import { decodeOllamaChat, decodeOllamaEmbeddings, type OllamaDecodedChat } from './ollama-request.js';
import type {
  ChatReply,
  DecodedEmbeddings,
  MockUsage,
  MockWire,
  StreamFrame,
  WireError,
  WireRoute,
} from './wire.js';

type Json = Record<string, unknown>;

/** Made-up but plausible timings (nanoseconds), so clients that read them find numbers. */
const LOAD_DURATION_NS = 2_154_458;
const PROMPT_NS_PER_TOKEN = 1_000_000;
const EVAL_NS_PER_TOKEN = 16_000_000;
/** One token each under the mock's token rule, cycled to make a thinking trace of any length. */
const THINKING_WORDS = ['Let', ' me', ' think', ' this', ' through', '.'];
const MODIFIED_AT = '2025-05-04T17:37:44.706015396-07:00';

// ---- Routes and keys --------------------------------------------------------------------

function match(method: string, pathname: string): WireRoute | undefined {
  if (method === 'POST') {
    if (pathname.endsWith('/api/chat')) return { endpoint: 'chat', model: undefined };
    if (pathname.endsWith('/api/embed')) return { endpoint: 'embeddings', model: undefined };
    return undefined;
  }
  if (method === 'GET' && pathname.endsWith('/api/tags')) return { endpoint: 'models', model: undefined };
  return undefined;
}

/** ollama.com takes `Authorization: Bearer <key>`; a local server takes none. */
function hasKey(headers: IncomingHttpHeaders, key: string): boolean {
  const authorization = headers['authorization'];
  return (
    authorization !== undefined &&
    authorization.length === key.length + 7 &&
    authorization.endsWith(key) &&
    authorization.slice(0, 7).toLowerCase() === 'bearer '
  );
}

// ---- Chat -------------------------------------------------------------------------------

function createdAt(reply: ChatReply): string {
  return new Date(reply.created * 1000).toISOString();
}

function thinks(reply: ChatReply): boolean {
  return (reply.decoded as Partial<OllamaDecodedChat>).think === true;
}

/** The thinking trace: as many one-token words as the model's reasoning tokens. */
function thinkingPieces(reply: ChatReply): string[] {
  const count = thinks(reply) ? (reply.usage?.reasoningTokens ?? 0) : 0;
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) pieces.push(THINKING_WORDS[i % THINKING_WORDS.length]!);
  return pieces;
}

/** Ollama's tool parser only yields a call whose arguments are complete JSON; else the text stays content. */
function toolCallJson(choice: MockChoice): Json | undefined {
  const call = choice.toolCall;
  if (call === undefined) return undefined;
  let args: unknown;
  try {
    args = JSON.parse(call.arguments);
  } catch {
    return undefined;
  }
  return { function: { name: call.name, arguments: args } };
}

function answerText(choice: MockChoice): string {
  if (choice.toolCall !== undefined)
    return toolCallJson(choice) === undefined ? choice.toolCall.arguments : '';
  return choice.pieces.join('');
}

/** `done_reason` and the counts of the last object; a tool call ends with `stop`, as Ollama says. */
function finalFields(reply: ChatReply, choice: MockChoice, out: Json): Json {
  if (reply.finished) out['done_reason'] = choice.finishReason === 'length' ? 'length' : 'stop';
  out['total_duration'] =
    LOAD_DURATION_NS +
    (reply.usage === undefined
      ? 0
      : reply.usage.inputTokens * PROMPT_NS_PER_TOKEN + reply.usage.outputTokens * EVAL_NS_PER_TOKEN);
  out['load_duration'] = LOAD_DURATION_NS;
  const usage = reply.usage;
  if (usage !== undefined) {
    if (usage.inputTokens > 0) {
      out['prompt_eval_count'] = usage.inputTokens;
      out['prompt_eval_duration'] = usage.inputTokens * PROMPT_NS_PER_TOKEN;
    }
    if (usage.outputTokens > 0) {
      out['eval_count'] = usage.outputTokens;
      out['eval_duration'] = usage.outputTokens * EVAL_NS_PER_TOKEN;
    }
  }
  return out;
}

function encodeChat(reply: ChatReply): string {
  const choice = reply.choices[0]!;
  const message: Json = { role: 'assistant', content: answerText(choice) };
  const thinking = thinkingPieces(reply);
  if (thinking.length > 0) message['thinking'] = thinking.join('');
  const call = toolCallJson(choice);
  if (call !== undefined) message['tool_calls'] = [call];
  return JSON.stringify(
    finalFields(reply, choice, { model: reply.model, created_at: createdAt(reply), message, done: true }),
  );
}

function chatFrames(reply: ChatReply): StreamFrame[] {
  const choice = reply.choices[0]!;
  const prefix = `{"model":${JSON.stringify(reply.model)},"created_at":"${createdAt(reply)}","message":{"role":"assistant","content":`;
  const frames: StreamFrame[] = [];
  // The thinking trace is billed by the server as reasoning tokens, so its lines carry none here.
  for (const piece of thinkingPieces(reply)) {
    frames.push({
      data: `${prefix}"","thinking":${JSON.stringify(piece)}},"done":false}\n`,
      tokens: 0,
      kind: 'content',
    });
  }
  const call = toolCallJson(choice);
  if (call !== undefined) {
    frames.push({
      data: `${prefix}"","tool_calls":[${JSON.stringify(call)}]},"done":false}\n`,
      tokens: choice.tokens,
      kind: 'content',
    });
  } else {
    const pieces = choice.toolCall?.pieces ?? choice.pieces;
    for (const piece of pieces) {
      frames.push({ data: `${prefix}${JSON.stringify(piece)}},"done":false}\n`, tokens: 1, kind: 'content' });
    }
  }
  const last = finalFields(reply, choice, {
    model: reply.model,
    created_at: createdAt(reply),
    message: { role: 'assistant', content: '' },
    done: true,
  });
  frames.push({ data: `${JSON.stringify(last)}\n`, tokens: 0, kind: 'finish' });
  return frames;
}

function malformedFrame(reply: ChatReply): string {
  return `{"model":${JSON.stringify(reply.model)},"created_at":"${createdAt(reply)}","message":{"role":"assistant","content":"tru\n`;
}

function streamError(message: string): string {
  return `${JSON.stringify({ error: message })}\n`;
}

// ---- Embeddings and models ----------------------------------------------------------------

function encodeEmbeddings(
  request: DecodedEmbeddings,
  vectors: readonly Float32Array[],
  usage: MockUsage | undefined,
): string {
  let embeddings = '';
  for (let i = 0; i < vectors.length; i++) embeddings += `${i === 0 ? '' : ','}[${vectors[i]!.join(',')}]`;
  const count =
    usage === undefined || usage.inputTokens === 0 ? '' : `,"prompt_eval_count":${usage.inputTokens}`;
  return `{"model":${JSON.stringify(request.model)},"embeddings":[${embeddings}],"total_duration":${LOAD_DURATION_NS * 2},"load_duration":${LOAD_DURATION_NS}${count}}`;
}

/** Ollama names every local model with a tag; a bare name means `:latest`. */
function tagged(id: string): string {
  return id.includes(':') ? id : `${id}:latest`;
}

function modelJson(id: string): Json {
  const name = tagged(id);
  const family = name.slice(0, name.indexOf(':')).replace(/[^a-z]+.*$/i, '') || 'llama';
  return {
    name,
    model: name,
    modified_at: MODIFIED_AT,
    size: 2_019_393_189,
    digest: createHash('sha256').update(name).digest('hex'),
    details: {
      parent_model: '',
      format: 'gguf',
      family,
      families: [family],
      parameter_size: '3.2B',
      quantization_level: 'Q4_K_M',
    },
  };
}

function encodeModels(ids: readonly string[]): string {
  return JSON.stringify({ models: ids.map(modelJson) });
}

/** The `details` part of `POST /api/show`; that route is not served, but the wire must say something. */
function encodeModel(id: string): string {
  return JSON.stringify({ details: modelJson(id)['details'], model_info: {}, capabilities: ['completion'] });
}

function error(status: number, message: string): WireError {
  // Gin's c.JSON; Ollama sends no rate-limit or retry headers.
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: message }),
  };
}

/** The Ollama wire. */
export const ollamaWire: MockWire = {
  match,
  hasKey,
  decodeChat: decodeOllamaChat,
  decodeEmbeddings: decodeOllamaEmbeddings,
  encodeChat,
  chatFrames,
  encodeEmbeddings,
  encodeModels,
  encodeModel,
  error,
  streamError,
  malformedFrame,
  streamContentType: 'application/x-ndjson',
};
