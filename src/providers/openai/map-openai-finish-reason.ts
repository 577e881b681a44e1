/**
 * @module providers/openai/map-openai-finish-reason
 * OpenAI's `finish_reason` → the canonical `{unified, raw}`. The deprecated `function_call`
 * counts as a tool call; anything OpenAI does not document (compatible servers invent their
 * own, e.g. `eos`) is `other`, with the raw value kept.
 */

import type { FinishReason } from '../../core/finish-reason.js';

export function mapOpenAIFinishReason(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case 'stop':
      return { unified: 'stop', raw };
    case 'length':
      return { unified: 'length', raw };
    case 'tool_calls':
    case 'function_call':
      return { unified: 'tool_calls', raw };
    case 'content_filter':
      return { unified: 'content_filter', raw };
    default:
      return { unified: 'other', raw: raw ?? null };
  }
}
