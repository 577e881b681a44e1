/**
 * @module core/finish-reason
 * Why a generation ended, as `{unified, raw}`: `unified` is what the gateway reasons about,
 * `raw` is exactly what the provider said, kept for debugging and for faithful re-encoding.
 */

export type UnifiedFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other';

export interface FinishReason {
  unified: UnifiedFinishReason;
  raw: string | null;
}

export function finishReason(unified: UnifiedFinishReason, raw: string | null = unified): FinishReason {
  return { unified, raw };
}
