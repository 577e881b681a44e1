/**
 * @module providers/ollama/map-ollama-usage
 * Ollama's counts → canonical Usage. `prompt_eval_count` is every prompt token and `eval_count`
 * every generated one, thinking included (Ollama reports no reasoning split). Its encoder drops
 * zero counts, so a missing `eval_count` is an empty answer; but a missing `prompt_eval_count`
 * is what older servers sent when the prompt came from their cache — the count is unknown, not
 * zero — so then the whole usage is unreported (zeros marked `estimated`) and the gateway counts
 * it with its tokenizer. `prompt_eval_cached_count`, where a server sends it, is the cached
 * subset of the prompt.
 */

import type { Usage } from '../../core/usage.js';
import { numberOr } from '../shared/json.js';

export function unreportedUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, estimated: true };
}

/** Usage of a final (`done: true`) object or an embed response. */
export function mapOllamaUsage(body: Record<string, unknown>): Usage {
  const input = numberOr(body.prompt_eval_count);
  if (input === undefined) return unreportedUsage();
  const usage: Usage = { inputTokens: input, outputTokens: numberOr(body.eval_count) ?? 0 };
  const cached = numberOr(body.prompt_eval_cached_count);
  if (cached !== undefined && cached > 0) usage.cachedInputTokens = cached;
  return usage;
}

/** Whether the object reports usage at all (a stream's usage part is sent only then). */
export function reportsUsage(body: Record<string, unknown>): boolean {
  return numberOr(body.prompt_eval_count) !== undefined;
}
