/**
 * @module providers/gemini/map-gemini-finish-reason
 * Gemini's `finishReason` and `promptFeedback.blockReason` → the canonical `{unified, raw}`.
 * Gemini says `STOP` for an answer that calls functions, so that case becomes `tool_calls`
 * when the candidate carried function calls. Every safety-, recitation- and policy-related
 * reason is a content filter; a malformed or unexpected tool call is an error; the rest
 * (`LANGUAGE`, `OTHER`, `TOO_MANY_TOOL_CALLS`, `NO_IMAGE`, values added later) is `other`,
 * with the raw value kept.
 */

import type { FinishReason } from '../../core/finish-reason.js';

export function mapGeminiFinishReason(raw: string | undefined, hasToolCalls: boolean): FinishReason {
  switch (raw) {
    case 'STOP':
      return { unified: hasToolCalls ? 'tool_calls' : 'stop', raw };
    case 'MAX_TOKENS':
      return { unified: 'length', raw };
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return { unified: 'content_filter', raw };
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
      return { unified: 'error', raw };
    default:
      return { unified: 'other', raw: raw ?? null };
  }
}

/** A prompt Gemini refused to answer at all: whatever the reason, the content was filtered. */
export function mapGeminiBlockReason(raw: string): FinishReason {
  return { unified: 'content_filter', raw };
}
