/**
 * @module providers/anthropic/map-anthropic-usage
 * Anthropic's `usage` → canonical Usage. Anthropic reports prompt tokens in three disjoint
 * classes — `input_tokens` (neither read from nor written to the cache),
 * `cache_read_input_tokens` and `cache_creation_input_tokens` — so they are added up into
 * `inputTokens`, with the cache classes kept as its subsets. `output_tokens` already includes
 * thinking; `output_tokens_details.thinking_tokens`, when sent, is its reasoning subset.
 */

import type { Usage } from '../../core/usage.js';
import { isRecord, numberOr } from '../shared/json.js';

/** The input-side counts of a usage object, as the stream keeps them between events. */
export interface AnthropicInputCounts {
  input: number;
  cacheRead: number;
  cacheWrite: number;
}

export function unreportedUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, estimated: true };
}

/** Reads the input classes of `value`, keeping `base`'s count for any class it does not carry. */
export function readInputCounts(
  value: Record<string, unknown>,
  base?: AnthropicInputCounts,
): AnthropicInputCounts {
  return {
    input: numberOr(value.input_tokens) ?? base?.input ?? 0,
    cacheRead: numberOr(value.cache_read_input_tokens) ?? base?.cacheRead ?? 0,
    cacheWrite: numberOr(value.cache_creation_input_tokens) ?? base?.cacheWrite ?? 0,
  };
}

/** Canonical usage from input counts and the output count (and its thinking subset, if known). */
export function toUsage(counts: AnthropicInputCounts, output: number, thinking?: number): Usage {
  const usage: Usage = {
    inputTokens: counts.input + counts.cacheRead + counts.cacheWrite,
    outputTokens: output,
  };
  if (counts.cacheRead > 0) usage.cachedInputTokens = counts.cacheRead;
  if (counts.cacheWrite > 0) usage.cacheWriteTokens = counts.cacheWrite;
  if (thinking !== undefined && thinking > 0) usage.reasoningTokens = thinking;
  return usage;
}

/** The thinking subset of `output_tokens`, when the upstream reports it. */
export function thinkingTokens(value: Record<string, unknown>): number | undefined {
  const details = value.output_tokens_details;
  return isRecord(details) ? numberOr(details.thinking_tokens) : undefined;
}

/** Maps a whole usage object; one without input or output counts is unreported. */
export function mapAnthropicUsage(value: unknown): Usage {
  if (!isRecord(value)) return unreportedUsage();
  const output = numberOr(value.output_tokens);
  if (numberOr(value.input_tokens) === undefined && output === undefined) return unreportedUsage();
  return toUsage(readInputCounts(value), output ?? 0, thinkingTokens(value));
}
