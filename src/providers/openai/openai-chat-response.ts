/**
 * @module providers/openai/openai-chat-response
 * A `chat.completion` body → canonical ChatResult. The shape is checked by hand: a body that is
 * not an object, has no choices, or a choice without a message is INVALID_RESPONSE (retryable:
 * another attempt may answer properly). An `{"error": …}` body that came with a 200 is classified
 * like an HTTP error. Usage is taken as reported; when absent it is zeros marked `estimated`.
 */

import type { AssistantMessage, ChatChoice, ChatResult, ContentPart, ToolCall } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';
import type { UpstreamTarget } from '../spec.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { mapOpenAILogprobs } from './map-openai-logprobs.js';
import { mapOpenAIUsage } from './map-openai-usage.js';
import { classifyOpenAIInBandError } from './openai-error.js';

function invalid(target: UpstreamTarget, reason: string): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `invalid response from upstream: ${reason}`, {
    details: { provider: target.provider },
  });
}

/** Text of `content`: a string, or (some compatible servers) an array of text parts. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  let text = '';
  for (const part of content) {
    if (isRecord(part) && typeof part.text === 'string') text += part.text;
  }
  return text;
}

/** Where choice `position` is in the body, for error messages (made only for one). */
function choicePath(position: number): string {
  return `choices[${position}]`;
}

function toolCalls(value: unknown, position: number, target: UpstreamTarget): ToolCall[] | undefined {
  if (value === undefined || value === null) return undefined;
  const path = `${choicePath(position)}.message.tool_calls`;
  if (!Array.isArray(value)) throw invalid(target, `${path} is not an array`);
  const calls: ToolCall[] = [];
  for (let i = 0; i < value.length; i++) {
    const call = value[i];
    const fn = isRecord(call) ? call.function : undefined;
    if (!isRecord(call) || !isRecord(fn) || typeof fn.name !== 'string') {
      throw invalid(target, `${path}[${i}] is not a function call`);
    }
    const args = fn.arguments;
    calls.push({
      id: stringOr(call.id) ?? '',
      name: fn.name,
      // Some compatible servers return the arguments as an object rather than JSON text.
      arguments:
        typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args),
    });
  }
  return calls.length === 0 ? undefined : calls;
}

function parseChoice(value: unknown, position: number, target: UpstreamTarget): ChatChoice {
  if (!isRecord(value)) throw invalid(target, `${choicePath(position)} is not an object`);
  const message = value.message;
  if (!isRecord(message)) throw invalid(target, `${choicePath(position)}.message is missing`);

  const content: ContentPart[] = [];
  const reasoning = stringOr(message.reasoning_content) ?? stringOr(message.reasoning);
  if (reasoning !== undefined && reasoning !== '') content.push({ type: 'thinking', text: reasoning });
  const text = contentText(message.content);
  if (text === undefined && message.content !== undefined && message.content !== null) {
    throw invalid(target, `${choicePath(position)}.message.content is neither text nor null`);
  }
  if (text !== undefined && text !== '') content.push({ type: 'text', text });

  const assistant: AssistantMessage = { role: 'assistant', content };
  const calls = toolCalls(message.tool_calls, position, target);
  if (calls !== undefined) assistant.toolCalls = calls;
  const refusal = stringOr(message.refusal);
  if (refusal !== undefined) assistant.refusal = refusal;

  const choice: ChatChoice = {
    index: numberOr(value.index) ?? position,
    message: assistant,
    finishReason: mapOpenAIFinishReason(stringOr(value.finish_reason)),
  };
  const logprobs = value.logprobs;
  if (isRecord(logprobs)) {
    const tokens = mapOpenAILogprobs(logprobs.content);
    if (tokens !== undefined) choice.logprobs = tokens;
  }
  return choice;
}

export function parseOpenAIChatResponse(body: unknown, target: UpstreamTarget): ChatResult {
  if (!isRecord(body)) throw invalid(target, 'the body is not a JSON object');
  if (body.error !== undefined && body.error !== null && body.choices === undefined) {
    throw classifyOpenAIInBandError(body, target);
  }
  const rawChoices = body.choices;
  if (!Array.isArray(rawChoices) || rawChoices.length === 0)
    throw invalid(target, 'choices is missing or empty');

  const choices: ChatChoice[] = [];
  for (let i = 0; i < rawChoices.length; i++) choices.push(parseChoice(rawChoices[i], i, target));

  const model = stringOr(body.model);
  const result: ChatResult = {
    id: stringOr(body.id) ?? '',
    model: model === undefined || model === '' ? target.model : model,
    created: numberOr(body.created) ?? 0,
    choices,
    usage: mapOpenAIUsage(body.usage),
  };
  const fingerprint = stringOr(body.system_fingerprint);
  if (fingerprint !== undefined) result.systemFingerprint = fingerprint;
  return result;
}
