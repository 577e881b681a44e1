/**
 * @module mock-upstream/gemini
 * The Gemini API wire of the mock upstream (`POST /v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:embedContent`, `:batchEmbedContents`, key in
 * `x-goog-api-key`), written from the Gemini API reference rather than from the gateway's adapter
 * (that is what it tests). Answers are `GenerateContentResponse`s; a stream is a series of whole
 * chunks — one per token, each with running `usageMetadata` — and the last chunk of a candidate
 * carries its `finishReason` and the final usage; there is no terminal event, so a cut stream just
 * ends early. Usage reports `cachedContentTokenCount` (the model's `cached_tokens` setting, inside
 * `promptTokenCount`) and `thoughtsTokenCount` (`reasoning_tokens`, outside
 * `candidatesTokenCount`). Function calls come whole, with a thought signature on the first call
 * as thinking models send it; Gemini says `STOP` for them. `[[mock:safety]]` withholds the answer
 * with `finishReason: SAFETY` (its tokens are still billed and reported, as generated). Faults
 * speak Google: `{error: {code, message, status}}` bodies, 429s carrying `RetryInfo`, an invalid
 * key answered 400 `API_KEY_INVALID`, an error object as an in-band stream event.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { MockChoice, TokenLogprob } from './engine.js';
import { decodeGeminiEmbeddings, type GeminiDecodedEmbeddings } from './gemini-embed-request.js';
import { decodeGeminiChat, isGeminiDecodedChat } from './gemini-request.js';
import { matchGemini } from './gemini-route.js';
import type {
  ChatReply,
  DecodedEmbeddings,
  MockUsage,
  MockWire,
  StreamFrame,
  WireError,
  WireErrorOptions,
} from './wire.js';

type Json = Record<string, unknown>;

const EVENT_END = '\r\n\r\n';
const THOUGHT_TEXT = '**Considering the request**\n\nWorking out what is asked before answering.';
const SAFETY_RATINGS = [
  { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
];

function hasKey(headers: IncomingHttpHeaders, key: string): boolean {
  return headers['x-goog-api-key'] === key;
}

/** `mock-N` from the server's `chatcmpl-mock-N`. */
function responseId(reply: ChatReply): string {
  return reply.id.slice(reply.id.indexOf('mock-'));
}

/** A deterministic, base64 stand-in for the opaque signature Gemini puts on a function call. */
export function mockThoughtSignature(callId: string): string {
  return Buffer.from(`mock-thought-signature:${callId}`).toString('base64');
}

function finishReason(choice: MockChoice, safety: boolean): string {
  if (safety) return 'SAFETY';
  return choice.finishReason === 'length' ? 'MAX_TOKENS' : 'STOP';
}

function usageJson(usage: MockUsage, candidates: number): Json {
  const answer = candidates;
  const out: Json = {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: answer,
    totalTokenCount: usage.inputTokens + answer + usage.reasoningTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.inputTokens }],
  };
  if (usage.cachedInputTokens > 0) {
    out['cachedContentTokenCount'] = usage.cachedInputTokens;
    out['cacheTokensDetails'] = [{ modality: 'TEXT', tokenCount: usage.cachedInputTokens }];
  }
  if (usage.reasoningTokens > 0) out['thoughtsTokenCount'] = usage.reasoningTokens;
  return out;
}

function logprobsResult(choice: MockChoice, logprobs: readonly TokenLogprob[]): Json {
  return {
    topCandidates: logprobs.map((step) => ({
      candidates: step.top.map((top) => ({ token: top.token, logProbability: top.logprob })),
    })),
    chosenCandidates: choice.pieces.map((token, i) => ({ token, logProbability: logprobs[i]?.logprob ?? 0 })),
  };
}

/** The function call part, or undefined when the arguments were cut short and are not an object. */
function functionCallPart(choice: MockChoice): Json | undefined {
  const call = choice.toolCall;
  if (call === undefined) return undefined;
  let args: unknown;
  try {
    args = JSON.parse(call.arguments);
  } catch {
    return undefined;
  }
  return { functionCall: { name: call.name, args }, thoughtSignature: mockThoughtSignature(call.id) };
}

function thoughtsShown(reply: ChatReply): boolean {
  return (
    isGeminiDecodedChat(reply.decoded) &&
    reply.decoded.includeThoughts &&
    (reply.usage?.reasoningTokens ?? 0) > 0
  );
}

function safetyBlocked(reply: ChatReply): boolean {
  return isGeminiDecodedChat(reply.decoded) && reply.decoded.safetyBlocked;
}

function candidateJson(reply: ChatReply, choice: MockChoice, index: number): Json {
  const safety = safetyBlocked(reply);
  const candidate: Json = {};
  if (!safety) {
    const parts: Json[] = [];
    if (thoughtsShown(reply)) parts.push({ text: THOUGHT_TEXT, thought: true });
    const call = functionCallPart(choice);
    if (call !== undefined) parts.push(call);
    else if (choice.toolCall === undefined) parts.push({ text: choice.pieces.join('') });
    candidate['content'] = parts.length === 0 ? { role: 'model' } : { parts, role: 'model' };
  }
  if (reply.finished) candidate['finishReason'] = finishReason(choice, safety);
  if (safety) candidate['safetyRatings'] = SAFETY_RATINGS;
  if (choice.logprobs !== undefined && !safety) {
    candidate['logprobsResult'] = logprobsResult(choice, choice.logprobs);
  }
  candidate['index'] = index;
  return candidate;
}

function answerTokens(reply: ChatReply): number {
  let tokens = 0;
  for (const choice of reply.choices) tokens += choice.tokens;
  return tokens;
}

function encodeChat(reply: ChatReply): string {
  const body: Json = {
    candidates: reply.choices.map((choice, index) => candidateJson(reply, choice, index)),
  };
  if (reply.usage !== undefined) body['usageMetadata'] = usageJson(reply.usage, answerTokens(reply));
  body['modelVersion'] = reply.model;
  body['responseId'] = responseId(reply);
  return JSON.stringify(body);
}

interface FrameSpec {
  readonly index: number;
  readonly parts: Json[] | undefined;
  readonly finish: string | undefined;
  readonly extra: Json | undefined;
  readonly tokens: number;
  readonly kind: StreamFrame['kind'];
}

function choiceFrames(reply: ChatReply, choice: MockChoice, index: number): FrameSpec[] {
  const frames: FrameSpec[] = [];
  const safety = safetyBlocked(reply);
  if (thoughtsShown(reply) && !safety) {
    frames.push({
      index,
      parts: [{ text: THOUGHT_TEXT, thought: true }],
      finish: undefined,
      extra: undefined,
      tokens: 0,
      kind: 'start',
    });
  }
  if (safety) {
    // Nothing of the answer is sent; its tokens still count as served, as they were generated.
    if (reply.finished) {
      frames.push({
        index,
        parts: undefined,
        finish: 'SAFETY',
        extra: { safetyRatings: SAFETY_RATINGS },
        tokens: choice.tokens,
        kind: 'finish',
      });
    }
    return frames;
  }
  if (choice.toolCall !== undefined) {
    const call = functionCallPart(choice);
    if (call !== undefined) {
      frames.push({
        index,
        parts: [call],
        finish: undefined,
        extra: undefined,
        tokens: choice.tokens,
        kind: 'content',
      });
    }
  } else {
    for (let i = 0; i < choice.pieces.length; i++) {
      const logprob = choice.logprobs?.[i];
      const extra =
        logprob === undefined
          ? undefined
          : {
              logprobsResult: {
                topCandidates: [
                  {
                    candidates: logprob.top.map((top) => ({ token: top.token, logProbability: top.logprob })),
                  },
                ],
                chosenCandidates: [{ token: choice.pieces[i], logProbability: logprob.logprob }],
              },
            };
      frames.push({
        index,
        parts: [{ text: choice.pieces[i] }],
        finish: undefined,
        extra,
        tokens: 1,
        kind: 'content',
      });
    }
  }
  if (reply.finished) {
    frames.push({
      index,
      parts: [{ text: '' }],
      finish: finishReason(choice, false),
      extra: undefined,
      tokens: 0,
      kind: 'finish',
    });
  }
  return frames;
}

function chatFrames(reply: ChatReply): StreamFrame[] {
  const perChoice = reply.choices.map((choice, index) => choiceFrames(reply, choice, index));
  const ordered: FrameSpec[] = [];
  // Candidates are interleaved round-robin.
  for (let step = 0, added = true; added; step++) {
    added = false;
    for (const list of perChoice) {
      const frame = list[step];
      if (frame !== undefined) {
        ordered.push(frame);
        added = true;
      }
    }
  }
  const tail = `,"modelVersion":${JSON.stringify(reply.model)},"responseId":"${responseId(reply)}"}${EVENT_END}`;
  const usage = reply.usage;
  const total = answerTokens(reply);
  let served = 0;
  const frames: StreamFrame[] = [];
  for (const spec of ordered) {
    served += spec.tokens;
    const candidate: Json = {};
    if (spec.parts !== undefined) candidate['content'] = { parts: spec.parts, role: 'model' };
    if (spec.finish !== undefined) candidate['finishReason'] = spec.finish;
    if (spec.extra !== undefined) Object.assign(candidate, spec.extra);
    candidate['index'] = spec.index;
    // The final count goes on finishing chunks; running counts on the others.
    const usageText =
      usage === undefined
        ? ''
        : `,"usageMetadata":${JSON.stringify(usageJson(usage, spec.kind === 'finish' ? total : served))}`;
    frames.push({
      data: `data: {"candidates":[${JSON.stringify(candidate)}]${usageText}${tail}`,
      tokens: spec.tokens,
      kind: spec.kind,
    });
  }
  return frames;
}

function malformedFrame(_reply: ChatReply): string {
  return `data: {"candidates":[{"content":{"parts":[{"text":"tru${EVENT_END}`;
}

function streamError(message: string): string {
  return `data: ${JSON.stringify({ error: { code: 500, message, status: 'INTERNAL' } })}${EVENT_END}`;
}

function isBatch(request: DecodedEmbeddings): request is GeminiDecodedEmbeddings {
  return 'batch' in request && request.batch === true;
}

function encodeEmbeddings(
  request: DecodedEmbeddings,
  vectors: readonly Float32Array[],
  _usage: MockUsage | undefined,
): string {
  // The Gemini API reports no usage for embeddings; the invoice still bills the input.
  if (!isBatch(request)) return `{"embedding":{"values":[${vectors[0]?.join(',') ?? ''}]}}`;
  let list = '';
  for (let i = 0; i < vectors.length; i++)
    list += `${i === 0 ? '' : ','}{"values":[${vectors[i]!.join(',')}]}`;
  return `{"embeddings":[${list}]}`;
}

function modelJson(id: string): Json {
  const embedding = id.includes('embedding');
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    inputTokenLimit: embedding ? 2048 : 1_048_576,
    outputTokenLimit: embedding ? 1 : 65_536,
    supportedGenerationMethods: embedding
      ? ['embedContent', 'batchEmbedContents']
      : ['generateContent', 'countTokens', 'createCachedContent'],
  };
}

function encodeModels(ids: readonly string[]): string {
  return JSON.stringify({ models: ids.map(modelJson) });
}

function encodeModel(id: string): string {
  return JSON.stringify(modelJson(id.startsWith('models/') ? id.slice(7) : id));
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's own words for the faults the server injects. */
const FAULT_MESSAGES: Record<number, string> = {
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  502: 'The service is currently unavailable.',
  503: 'The model is overloaded. Please try again later.',
  504: 'Deadline expired before operation could complete.',
};

function error(status: number, message: string, options: WireErrorOptions = {}): WireError {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (status === 401) {
    // Gemini answers a bad key 400 INVALID_ARGUMENT, with the reason in ErrorInfo.
    const body = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
        ],
      },
    };
    return { status: 400, headers, body: JSON.stringify(body) };
  }
  const name = STATUS_NAMES[status] ?? (status >= 500 ? 'UNKNOWN' : 'INVALID_ARGUMENT');
  const details: Json[] = [];
  let text = FAULT_MESSAGES[status] ?? message;
  if (status === 429) {
    const seconds = options.retryAfterS ?? 1;
    text = `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\nPlease retry in ${seconds}s.`;
    details.push(
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests',
            quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
          },
        ],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` },
    );
  } else if (status === 400 && options.param !== undefined && options.param !== null) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ field: options.param, description: message }],
    });
  }
  const body: Json = { code: status, message: text, status: name };
  if (details.length > 0) body['details'] = details;
  return { status, headers, body: JSON.stringify({ error: body }) };
}

/** The Gemini wire. */
export const geminiWire: MockWire = {
  match: matchGemini,
  hasKey,
  decodeChat: decodeGeminiChat,
  decodeEmbeddings: decodeGeminiEmbeddings,
  encodeChat,
  chatFrames,
  encodeEmbeddings,
  encodeModels,
  encodeModel,
  error,
  streamError,
  malformedFrame,
};
