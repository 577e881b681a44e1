/**
 * @module providers/openai/map-openai-logprobs
 * OpenAI `logprobs.content` entries → canonical LogprobTokens, for responses and stream chunks.
 * Entries without a token or a numeric logprob are skipped rather than failing the response.
 */

import type { LogprobToken } from '../../core/chat.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';

/** OpenAI logprob entries → canonical tokens; malformed entries are skipped. */
export function mapOpenAILogprobs(value: unknown): LogprobToken[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const tokens: LogprobToken[] = [];
  for (const entry of value) {
    if (!isRecord(entry)) continue;
    const token = stringOr(entry.token);
    const logprob = numberOr(entry.logprob);
    if (token === undefined || logprob === undefined) continue;
    const out: LogprobToken = { token, logprob };
    if (Array.isArray(entry.top_logprobs)) {
      const top: { token: string; logprob: number }[] = [];
      for (const alternative of entry.top_logprobs) {
        if (!isRecord(alternative)) continue;
        const altToken = stringOr(alternative.token);
        const altLogprob = numberOr(alternative.logprob);
        if (altToken !== undefined && altLogprob !== undefined)
          top.push({ token: altToken, logprob: altLogprob });
      }
      out.topLogprobs = top;
    }
    tokens.push(out);
  }
  return tokens;
}
