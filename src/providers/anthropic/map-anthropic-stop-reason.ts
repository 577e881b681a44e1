/**
 * @module providers/anthropic/map-anthropic-stop-reason
 * Anthropic's `stop_reason` → the canonical `{unified, raw}`. `end_turn` and `stop_sequence`
 * are a normal stop; `max_tokens` and `model_context_window_exceeded` ran out of room;
 * `refusal` is the safety classifiers stepping in; `pause_turn` (a server tool loop paused) and
 * anything Anthropic adds later is `other`, with the raw value kept.
 */

import type { FinishReason } from '../../core/finish-reason.js';

export function mapAnthropicStopReason(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case 'end_turn':
    case 'stop_sequence':
      return { unified: 'stop', raw };
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return { unified: 'length', raw };
    case 'tool_use':
      return { unified: 'tool_calls', raw };
    case 'refusal':
      return { unified: 'content_filter', raw };
    default:
      return { unified: 'other', raw: raw ?? null };
  }
}
