/**
 * @module providers/openai/map-openai-usage
 * OpenAI's `usage` → canonical Usage. OpenAI's token classes are already the canonical ones
 * (cached and cache-write tokens inside `prompt_tokens`, reasoning inside `completion_tokens`).
 * Usage the upstream did not report comes back as zeros marked `estimated`, for the executor to
 * count with the tokenizer; this adapter never guesses.
 */

import type { Usage } from '../../core/usage.js';
import { isRecord, numberOr } from '../shared/json.js';

export function unreportedUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, estimated: true };
}

/** Maps a usage object; anything without numeric prompt and completion counts is unreported. */
export function mapOpenAIUsage(value: unknown): Usage {
  if (!isRecord(value)) return unreportedUsage();
  const input = numberOr(value.prompt_tokens);
  const output = numberOr(value.completion_tokens);
  if (input === undefined && output === undefined) return unreportedUsage();
  const usage: Usage = { inputTokens: input ?? 0, outputTokens: output ?? 0 };
  const prompt = value.prompt_tokens_details;
  if (isRecord(prompt)) {
    const cached = numberOr(prompt.cached_tokens);
    if (cached !== undefined && cached > 0) usage.cachedInputTokens = cached;
    const cacheWrite = numberOr(prompt.cache_write_tokens);
    if (cacheWrite !== undefined && cacheWrite > 0) usage.cacheWriteTokens = cacheWrite;
  }
  const completion = value.completion_tokens_details;
  if (isRecord(completion)) {
    const reasoning = numberOr(completion.reasoning_tokens);
    if (reasoning !== undefined && reasoning > 0) usage.reasoningTokens = reasoning;
  }
  return usage;
}
