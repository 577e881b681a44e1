/**
 * @module http/wire/openai/encode-chat-response
 * Canonical ChatResult → the `chat.completion` object an OpenAI client expects: per choice the
 * assistant message (content, refusal, tool_calls), logprobs and finish_reason; usage with the
 * cached and reasoning token details when known; the system fingerprint when the upstream gave
 * one. Thinking parts are not part of this wire and are left out.
 */

import type { ChatResult } from '../../../core/chat.js';
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
