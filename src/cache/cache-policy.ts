/**
 * @module cache/cache-policy
 * Which requests the cache may answer, and which answers it may keep.
 *
 * Requests: `x-switchyard-cache: no-store` (or body `switchyard.cache`) keeps the request away
 * from the cache entirely; `no-cache` skips the lookup but keeps the fresh answer. Sampled
 * requests — temperature above 0, or unset, which providers treat as 1 — are cached by default:
 * the cache is opt-in, the key holds every sampling setting (a request at 0.7 never gets an
 * answer produced at 0), and replaying one valid sample for a repeated identical request is what
 * operators turn a cache on for. `cache_nondeterministic: false` limits the cache to
 * `temperature: 0`. Callers who want a fresh sample each time send `no-store`.
 *
 * Answers: only complete ones — at least one choice, every choice finished with `stop`, `length`
 * or `tool_calls` (tool calls are the model's answer to that exact conversation). Errors, refusals
 * by content filter, cut or cancelled streams are never kept.
 */

import type { ChatRequest, ChatResult } from '../core/chat.js';
import type { UnifiedFinishReason } from '../core/finish-reason.js';

export interface CachePolicy {
  /** Look the request up before calling a model. */
  lookup: boolean;
  /** Keep the answer for later requests. */
  store: boolean;
}

const CACHEABLE_FINISH: ReadonlySet<UnifiedFinishReason> = new Set(['stop', 'length', 'tool_calls']);

export function cachePolicy(request: ChatRequest, cacheNondeterministic: boolean): CachePolicy {
  const mode = request.routing?.cache;
  if (mode === 'no-store') return { lookup: false, store: false };
  if (!cacheNondeterministic && request.temperature !== 0) return { lookup: false, store: false };
  if (mode === 'no-cache') return { lookup: false, store: true };
  return { lookup: true, store: true };
}

/** Whether an answer is complete enough to serve again. */
export function isCacheable(result: ChatResult): boolean {
  if (result.choices.length === 0) return false;
  for (const choice of result.choices) if (!CACHEABLE_FINISH.has(choice.finishReason.unified)) return false;
  return true;
}
