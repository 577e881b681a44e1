/**
 * Answers for confidence and routing tests: a one-choice ChatResult built from the text a model
 * would return, optionally with a finish reason, logprobs, a refusal or tool calls. The scorers
 * read only the message, so the ids and usage are fixed.
 */

import type { ChatResult, LogprobToken } from '../../../core/chat.js';
import { finishReason, type UnifiedFinishReason } from '../../../core/finish-reason.js';

export interface AnswerOptions {
  finish?: UnifiedFinishReason;
  logprobs?: LogprobToken[];
  refusal?: string;
  toolCalls?: { name: string; arguments: string }[];
}

/** A result whose one choice answers `text` (no content part when `text` is empty). */
export function answerResult(text: string, options: AnswerOptions = {}): ChatResult {
  return {
    id: 'r',
    model: 'm',
    created: 0,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' ? [] : [{ type: 'text', text }],
          ...(options.refusal === undefined ? {} : { refusal: options.refusal }),
          ...(options.toolCalls === undefined
            ? {}
            : { toolCalls: options.toolCalls.map((c, i) => ({ id: `call_${i}`, ...c })) }),
        },
        finishReason: finishReason(options.finish ?? 'stop'),
        ...(options.logprobs === undefined ? {} : { logprobs: options.logprobs }),
      },
    ],
    usage: { inputTokens: 5, outputTokens: 5 },
  };
}
