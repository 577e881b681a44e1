/**
 * @module providers/gemini/map-gemini-usage
 * Gemini's `usageMetadata` → canonical Usage. Gemini's `promptTokenCount` already includes the
 * cached tokens (`cachedContentTokenCount` is a subset of it, as the canonical convention wants),
 * but thoughts are counted apart from the answer: `thoughtsTokenCount` is added to
 * `candidatesTokenCount` to give the output, and is its reasoning subset. Tokens of tool results
 * fed back to the model (`toolUsePromptTokenCount`) are input. Streams repeat the metadata on
 * every chunk with running counts; the decoder reports the last. Usage without counts is
 * unreported: zeros marked `estimated`, for the gateway to count.
 */

import type { Usage } from '../../core/usage.js';
import { isRecord, numberOr } from '../shared/json.js';

export function unreportedUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, estimated: true };
}

export function mapGeminiUsage(value: unknown): Usage {
  if (!isRecord(value)) return unreportedUsage();
  const prompt = numberOr(value.promptTokenCount);
  const candidates = numberOr(value.candidatesTokenCount);
  const thoughts = numberOr(value.thoughtsTokenCount) ?? 0;
  if (prompt === undefined && candidates === undefined && thoughts === 0) return unreportedUsage();
  const usage: Usage = {
    inputTokens: (prompt ?? 0) + (numberOr(value.toolUsePromptTokenCount) ?? 0),
    outputTokens: (candidates ?? 0) + thoughts,
  };
  const cached = numberOr(value.cachedContentTokenCount);
  if (cached !== undefined && cached > 0) usage.cachedInputTokens = cached;
  if (thoughts > 0) usage.reasoningTokens = thoughts;
  return usage;
}
