/**
 * @module http/wire/openai/encode-wire-fields
 * Canonical values → the OpenAI wire fields that responses and stream chunks share: the finish
 * reason, usage and logprobs. The finish reason is the provider's own word when it is one
 * OpenAI clients know, else the closest OpenAI value for the unified reason.
 */

import type { LogprobToken } from '../../../core/chat.js';
import type { FinishReason } from '../../../core/finish-reason.js';
import type { Usage } from '../../../core/usage.js';
import type {
  OpenAILogprobs,
  OpenAITokenLogprob,
  OpenAIUsage,
} from '../../../providers/openai/openai-chat-api.js';

export type EncodedFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export function encodeFinishReason(reason: FinishReason): EncodedFinishReason {
  switch (reason.raw) {
    case 'stop':
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason.raw;
  }
  switch (reason.unified) {
    case 'length':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      // `other` (e.g. a provider's pause or end-of-turn variant) and `error` have no OpenAI
      // value; a completed response that ends for them ended without being cut short.
      return 'stop';
  }
}

export function encodeUsage(usage: Usage): OpenAIUsage {
  const out: OpenAIUsage = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  if (usage.cachedInputTokens !== undefined || usage.cacheWriteTokens !== undefined) {
    const details: NonNullable<OpenAIUsage['prompt_tokens_details']> = {
      cached_tokens: usage.cachedInputTokens ?? 0,
    };
    // OpenAI's current usage schema names cache writes too (`cache_write_tokens`).
    if (usage.cacheWriteTokens !== undefined) details.cache_write_tokens = usage.cacheWriteTokens;
    out.prompt_tokens_details = details;
  }
  if (usage.reasoningTokens !== undefined) {
    out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  }
  return out;
}

/** The canonical model keeps no token bytes, so `bytes` is null (which OpenAI's schema allows). */
export function encodeLogprobs(tokens: readonly LogprobToken[]): OpenAILogprobs {
  const content: OpenAITokenLogprob[] = new Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const top = token.topLogprobs ?? [];
    content[i] = {
      token: token.token,
      logprob: token.logprob,
      bytes: null,
      top_logprobs: top.map((alternative) => ({
        token: alternative.token,
        logprob: alternative.logprob,
        bytes: null,
      })),
    };
  }
  return { content, refusal: null };
}
