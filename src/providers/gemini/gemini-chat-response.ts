/**
 * @module providers/gemini/gemini-chat-response
 * A `GenerateContentResponse` → canonical ChatResult. Candidates become choices: text parts the
 * answer, `thought: true` parts thinking, `functionCall` parts tool calls (Gemini gives ids
 * rarely, so calls get stable ones, `call_<responseId>_<n>`, the same whether the answer was
 * streamed or not), generated images image parts. A prompt blocked outright
 * (`promptFeedback.blockReason`, no candidates) is one empty choice finished by the content
 * filter, not a failure: the upstream answered, and said no. Signatures are kept as
 * gemini-thought-signature describes. An `{error}` body that came with a 200 is classified like
 * an HTTP error; other bodies without candidates are INVALID_RESPONSE.
 */

import type { AssistantMessage, ChatChoice, ChatResult, ContentPart, ToolCall } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';
import type { UpstreamTarget } from '../spec.js';
import { modelId } from './gemini-endpoint.js';
import { classifyGeminiInBandError } from './gemini-error.js';
import { tagSignature, toolCallIdWithSignature } from './gemini-thought-signature.js';
import { mapGeminiBlockReason, mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { mapGeminiLogprobs } from './map-gemini-logprobs.js';
import { mapGeminiUsage } from './map-gemini-usage.js';

function invalid(target: UpstreamTarget, reason: string): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `invalid response from upstream: ${reason}`, {
    details: { provider: target.provider },
  });
}

/** The id of the `ordinal`-th function call of a candidate when Gemini gave none. */
export function geminiCallId(responseId: string, ordinal: number): string {
  return responseId === '' ? `call_${ordinal}` : `call_${responseId}_${ordinal}`;
}

/** A function call part → a canonical tool call; undefined when the part names no function. */
export function toToolCall(
  part: Record<string, unknown>,
  responseId: string,
  ordinal: number,
): ToolCall | undefined {
  const call = part.functionCall;
  if (!isRecord(call)) return undefined;
  const name = stringOr(call.name);
  if (name === undefined || name === '') return undefined;
  const upstreamId = stringOr(call.id);
  const id = upstreamId === undefined || upstreamId === '' ? geminiCallId(responseId, ordinal) : upstreamId;
  return {
    id: toolCallIdWithSignature(id, stringOr(part.thoughtSignature)),
    name,
    arguments: call.args === undefined || call.args === null ? '{}' : JSON.stringify(call.args),
  };
}

/** Unix seconds of the response's `createTime` (Vertex sends it), else 0. */
export function createdOf(body: Record<string, unknown>): number {
  const time = stringOr(body.createTime);
  if (time === undefined) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

export function responseModel(body: Record<string, unknown>, target: UpstreamTarget): string {
  const version = stringOr(body.modelVersion);
  return version === undefined || version === '' ? modelId(target.model) : version;
}

function parseCandidate(
  value: unknown,
  position: number,
  responseId: string,
  target: UpstreamTarget,
): ChatChoice {
  if (!isRecord(value)) throw invalid(target, `candidates[${position}] is not an object`);
  const content: ContentPart[] = [];
  const calls: ToolCall[] = [];
  const parts = isRecord(value.content) ? value.content.parts : undefined;
  if (parts !== undefined && !Array.isArray(parts)) {
    throw invalid(target, `candidates[${position}].content.parts is not an array`);
  }
  for (const part of parts ?? []) {
    if (!isRecord(part)) continue;
    const signature = stringOr(part.thoughtSignature);
    const text = stringOr(part.text);
    if (text !== undefined) {
      if (part.thought === true) {
        content.push(
          signature === undefined
            ? { type: 'thinking', text }
            : { type: 'thinking', text, signature: tagSignature(signature) },
        );
        continue;
      }
      // Placed before the text, so that the next request puts it back on the same part.
      if (signature !== undefined)
        content.push({ type: 'thinking', text: '', signature: tagSignature(signature) });
      const last = content[content.length - 1];
      if (last?.type === 'text') last.text += text;
      else if (text !== '') content.push({ type: 'text', text });
      continue;
    }
    const call = toToolCall(part, responseId, calls.length);
    if (call !== undefined) {
      calls.push(call);
      continue;
    }
    const inline = part.inlineData;
    if (isRecord(inline) && typeof inline.data === 'string') {
      const image: ContentPart = { type: 'image', data: inline.data };
      const mimeType = stringOr(inline.mimeType);
      if (mimeType !== undefined) image.mediaType = mimeType;
      content.push(image);
    }
  }
  const message: AssistantMessage = { role: 'assistant', content };
  if (calls.length > 0) message.toolCalls = calls;
  const choice: ChatChoice = {
    index: numberOr(value.index) ?? position,
    message,
    finishReason: mapGeminiFinishReason(stringOr(value.finishReason), calls.length > 0),
  };
  const logprobs = mapGeminiLogprobs(value.logprobsResult);
  if (logprobs !== undefined) choice.logprobs = logprobs;
  return choice;
}

export function parseGeminiChatResponse(body: unknown, target: UpstreamTarget): ChatResult {
  if (!isRecord(body)) throw invalid(target, 'the body is not a JSON object');
  if (body.error !== undefined && body.error !== null && body.candidates === undefined) {
    throw classifyGeminiInBandError(body, target);
  }
  const responseId = stringOr(body.responseId) ?? '';
  const rawCandidates = body.candidates;
  const choices: ChatChoice[] = [];
  if (Array.isArray(rawCandidates) && rawCandidates.length > 0) {
    for (let i = 0; i < rawCandidates.length; i++) {
      choices.push(parseCandidate(rawCandidates[i], i, responseId, target));
    }
  } else {
    const feedback = body.promptFeedback;
    const blockReason = isRecord(feedback) ? stringOr(feedback.blockReason) : undefined;
    if (blockReason === undefined) throw invalid(target, 'candidates is missing or empty');
    choices.push({
      index: 0,
      message: { role: 'assistant', content: [] },
      finishReason: mapGeminiBlockReason(blockReason),
    });
  }
  return {
    id: responseId,
    model: responseModel(body, target),
    created: createdOf(body),
    choices,
    usage: mapGeminiUsage(body.usageMetadata),
  };
}
