/**
 * @module providers/ollama/map-ollama-finish-reason
 * Ollama's `done_reason` → the canonical `{unified, raw}`. Ollama has no tool-call reason: a
 * message that carried tool calls ends with `stop` (or, from older servers, no reason), so the
 * caller says whether it did, and the result is `tool_calls` — the reason Ollama's own
 * OpenAI-compatible layer reports for it (`openai/openai.go`), and the one clients act on.
 * Servers before `done_reason` existed sent only `done: true`, a normal end (`raw` null).
 * `load` and `unload` (an empty chat that only loaded or unloaded the model) and anything newer
 * are `other`, with the raw value kept.
 */

import type { FinishReason } from '../../core/finish-reason.js';

export function mapOllamaFinishReason(raw: string | undefined, hadToolCalls: boolean): FinishReason {
  switch (raw) {
    case undefined:
    case '':
      return hadToolCalls ? { unified: 'tool_calls', raw: 'tool_calls' } : { unified: 'stop', raw: null };
    case 'stop':
      return hadToolCalls ? { unified: 'tool_calls', raw: 'tool_calls' } : { unified: 'stop', raw };
    case 'length':
      return { unified: 'length', raw };
    default:
      return { unified: 'other', raw };
  }
}
