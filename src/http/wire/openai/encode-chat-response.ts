/**
 * @module http/wire/openai/encode-chat-response
 * Canonical ChatResult → the `chat.completion` object an OpenAI client expects: per choice the
 * assistant message (content, refusal, tool_calls), logprobs and finish_reason; usage with the
 * cached and reasoning token details when known; the system fingerprint when the upstream gave
 * one. Thinking parts are not part of this wire and are left out. {@link stringifyChatCompletion}
 * writes that object's JSON text (exactly `JSON.stringify`'s) field by field, at about half
 * `JSON.stringify`'s cost; {@link chatCompletionJson} writes the same text straight from the
 * ChatResult, without making the object first, for the non-streamed response path.
 */

import type { ChatResult } from '../../../core/chat.js';
import { jsonString } from '../../../core/json-string.js';
import type {
  OpenAIChatCompletion,
  OpenAIResponseMessage,
  OpenAIToolCall,
} from '../../../providers/openai/openai-chat-api.js';
import { encodeFinishReason, encodeLogprobs, encodeUsage } from './encode-wire-fields.js';

export function encodeChatResponse(
  result: ChatResult,
  opts: { id: string; model: string },
): OpenAIChatCompletion {
  const choices: OpenAIChatCompletion['choices'] = new Array(result.choices.length);
  for (let i = 0; i < result.choices.length; i++) {
    const choice = result.choices[i]!;
    const source = choice.message;
    let text: string | null = null;
    for (const part of source.content) {
      if (part.type === 'text') text = text === null ? part.text : text + part.text;
    }
    const message: OpenAIResponseMessage = {
      role: 'assistant',
      content: text,
      refusal: source.refusal ?? null,
    };
    if (source.toolCalls !== undefined && source.toolCalls.length > 0) {
      const calls: OpenAIToolCall[] = new Array(source.toolCalls.length);
      for (let k = 0; k < source.toolCalls.length; k++) {
        const call = source.toolCalls[k]!;
        calls[k] = {
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        };
      }
      message.tool_calls = calls;
    }
    choices[i] = {
      index: choice.index,
      message,
      logprobs: choice.logprobs === undefined ? null : encodeLogprobs(choice.logprobs),
      finish_reason: encodeFinishReason(choice.finishReason),
    };
  }
  const out: OpenAIChatCompletion = {
    id: opts.id,
    object: 'chat.completion',
    // An upstream that gave no timestamp (0) would show clients 1970.
    created: result.created > 0 ? result.created : Math.floor(Date.now() / 1000),
    model: opts.model,
    choices,
    usage: encodeUsage(result.usage),
  };
  if (result.systemFingerprint !== undefined) out.system_fingerprint = result.systemFingerprint;
  return out;
}

/**
 * `JSON.stringify(out)` of an object {@link encodeChatResponse} made (keep the two in step when
 * a field is added: the test compares them). The generic serializer looks up and checks every
 * property of every object; here the keys and their order are known, and only the values are
 * encoded, strings by `JSON.stringify` itself. A value of a type encodeChatResponse does not
 * make (a number that is not finite, a missing count) sends the whole object to `JSON.stringify`.
 */
export function stringifyChatCompletion(out: OpenAIChatCompletion): string {
  const { choices, usage } = out;
  if (
    typeof out.id !== 'string' ||
    !Number.isFinite(out.created) ||
    typeof out.model !== 'string' ||
    usage === undefined ||
    !Number.isFinite(usage.prompt_tokens) ||
    !Number.isFinite(usage.completion_tokens) ||
    !Number.isFinite(usage.total_tokens)
  ) {
    return JSON.stringify(out);
  }
  let text = `{"id":${JSON.stringify(out.id)},"object":"chat.completion","created":${out.created},"model":${JSON.stringify(out.model)},"choices":[`;
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i]!;
    const message = choice.message;
    if (
      !Number.isFinite(choice.index) ||
      typeof choice.finish_reason !== 'string' ||
      typeof choice.logprobs !== 'object' ||
      (message.content !== null && typeof message.content !== 'string') ||
      (message.refusal !== null && typeof message.refusal !== 'string')
    ) {
      return JSON.stringify(out);
    }
    if (i > 0) text += ',';
    text += `{"index":${choice.index},"message":{"role":"assistant","content":${message.content === null ? 'null' : JSON.stringify(message.content)},"refusal":${message.refusal === null ? 'null' : JSON.stringify(message.refusal)}`;
    if (message.tool_calls !== undefined) text += `,"tool_calls":${JSON.stringify(message.tool_calls)}`;
    text += `},"logprobs":${choice.logprobs === null ? 'null' : JSON.stringify(choice.logprobs)},"finish_reason":${JSON.stringify(choice.finish_reason)}}`;
  }
  text += `],"usage":{"prompt_tokens":${usage.prompt_tokens},"completion_tokens":${usage.completion_tokens},"total_tokens":${usage.total_tokens}`;
  if (usage.prompt_tokens_details !== undefined) {
    text += `,"prompt_tokens_details":${JSON.stringify(usage.prompt_tokens_details)}`;
  }
  if (usage.completion_tokens_details !== undefined) {
    text += `,"completion_tokens_details":${JSON.stringify(usage.completion_tokens_details)}`;
  }
  text += '}';
  if (out.system_fingerprint !== undefined) {
    if (typeof out.system_fingerprint !== 'string') return JSON.stringify(out);
    text += `,"system_fingerprint":${JSON.stringify(out.system_fingerprint)}`;
  }
  return `${text}}`;
}

/**
 * `JSON.stringify(encodeChatResponse(result, opts))`, written from the result itself (keep it in
 * step with the two above: the test compares them). Every buffered response goes through here:
 * the wire object it skips is five objects and an array, each read back property by property,
 * and its strings are quoted by `jsonString` rather than `JSON.stringify` (a typical answer:
 * 0.96 → 0.47 µs, measured). The rare parts — tool calls, logprobs, token details —
 * are encoded as objects and left to `JSON.stringify`. A value of a type the canonical model
 * does not allow (a count that is not a finite number, a refusal that is not a string) sends
 * the whole result the long way, which writes what `JSON.stringify` writes of it.
 */
export function chatCompletionJson(result: ChatResult, opts: { id: string; model: string }): string {
  const { choices, usage } = result;
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  if (
    typeof opts.id !== 'string' ||
    typeof opts.model !== 'string' ||
    (result.created > 0 && !Number.isFinite(result.created)) ||
    !Number.isFinite(input) ||
    !Number.isFinite(output) ||
    !Number.isFinite(input + output)
  ) {
    return stringifyChatCompletion(encodeChatResponse(result, opts));
  }
  let text = '';
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i]!;
    const source = choice.message;
    let content: string | null = null;
    const parts = source.content;
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      if (part.type === 'text') content = content === null ? part.text : content + part.text;
    }
    const refusal = source.refusal ?? null;
    if (
      !Number.isFinite(choice.index) ||
      (content !== null && typeof content !== 'string') ||
      (refusal !== null && typeof refusal !== 'string')
    ) {
      return stringifyChatCompletion(encodeChatResponse(result, opts));
    }
    if (i > 0) text += ',';
    text += `{"index":${choice.index},"message":{"role":"assistant","content":${content === null ? 'null' : jsonString(content)},"refusal":${refusal === null ? 'null' : jsonString(refusal)}`;
    const toolCalls = source.toolCalls;
    if (toolCalls !== undefined && toolCalls.length > 0) {
      const calls: OpenAIToolCall[] = new Array(toolCalls.length);
      for (let k = 0; k < toolCalls.length; k++) {
        const call = toolCalls[k]!;
        calls[k] = {
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        };
      }
      text += `,"tool_calls":${JSON.stringify(calls)}`;
    }
    // The encoded finish reason is one of four plain words: nothing in it needs escaping.
    text += `},"logprobs":${choice.logprobs === undefined ? 'null' : JSON.stringify(encodeLogprobs(choice.logprobs))},"finish_reason":"${encodeFinishReason(choice.finishReason)}"}`;
  }
  let tail = '}';
  if (
    usage.cachedInputTokens !== undefined ||
    usage.cacheWriteTokens !== undefined ||
    usage.reasoningTokens !== undefined
  ) {
    const wire = encodeUsage(usage);
    tail = '';
    if (wire.prompt_tokens_details !== undefined) {
      tail += `,"prompt_tokens_details":${JSON.stringify(wire.prompt_tokens_details)}`;
    }
    if (wire.completion_tokens_details !== undefined) {
      tail += `,"completion_tokens_details":${JSON.stringify(wire.completion_tokens_details)}`;
    }
    tail += '}';
  }
  const fingerprint = result.systemFingerprint;
  if (fingerprint !== undefined) {
    if (typeof fingerprint !== 'string') return stringifyChatCompletion(encodeChatResponse(result, opts));
    tail += `,"system_fingerprint":${jsonString(fingerprint)}`;
  }
  // An upstream that gave no timestamp (0) would show clients 1970.
  const created = result.created > 0 ? result.created : Math.floor(Date.now() / 1000);
  return `{"id":${jsonString(opts.id)},"object":"chat.completion","created":${created},"model":${jsonString(opts.model)},"choices":[${text}],"usage":{"prompt_tokens":${input},"completion_tokens":${output},"total_tokens":${input + output}${tail}}`;
}
