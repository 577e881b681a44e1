/**
 * @module providers/gemini/map-gemini-logprobs
 * A candidate's `logprobsResult` → canonical LogprobTokens: the chosen token at each step with
 * the step's top alternatives. Steps without a token or a numeric log probability are skipped
 * rather than failing the response.
 */

import type { LogprobToken } from '../../core/chat.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';

export function mapGeminiLogprobs(value: unknown): LogprobToken[] | undefined {
  if (!isRecord(value) || !Array.isArray(value.chosenCandidates)) return undefined;
  const chosen = value.chosenCandidates;
  const top = Array.isArray(value.topCandidates) ? value.topCandidates : undefined;
  const tokens: LogprobToken[] = [];
  for (let i = 0; i < chosen.length; i++) {
    const entry = chosen[i];
    if (!isRecord(entry)) continue;
    const token = stringOr(entry.token);
    const logprob = numberOr(entry.logProbability);
    if (token === undefined || logprob === undefined) continue;
    const out: LogprobToken = { token, logprob };
    const step = top?.[i];
    if (isRecord(step) && Array.isArray(step.candidates)) {
      const alternatives: { token: string; logprob: number }[] = [];
      for (const alternative of step.candidates) {
        if (!isRecord(alternative)) continue;
        const altToken = stringOr(alternative.token);
        const altLogprob = numberOr(alternative.logProbability);
        if (altToken !== undefined && altLogprob !== undefined)
          alternatives.push({ token: altToken, logprob: altLogprob });
      }
      out.topLogprobs = alternatives;
    }
    tokens.push(out);
  }
  return tokens;
}
