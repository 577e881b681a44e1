/**
 * @module execution/confidence/judge
 * An optional judge model: `judgePrompt` builds the request that asks it to rate an answer from
 * 0 to 10, `parseJudgeScore` reads the rating back as 0..1. Sending the request is the
 * executor's business; the score goes into `scoreConfidence(…, {judge})`.
 */

import type { ChatRequest } from '../../core/chat.js';
import { textOf } from '../../core/chat.js';

const JUDGE_SYSTEM_PROMPT =
  'You are a strict grader. Given a request and an answer, rate how correct, complete and helpful ' +
  'the answer is, from 0 (wrong, empty or a refusal) to 10 (fully correct and complete). Reply with ' +
  'the number only.';

/** Longest request or answer text the judge reads; past it the middle is cut. */
const MAX_CHARS = 6000;

function clip(text: string): string {
  if (text.length <= MAX_CHARS) return text;
  const half = MAX_CHARS / 2;
  return `${text.slice(0, half)}\n[…]\n${text.slice(text.length - half)}`;
}

/**
 * The judge's request. Its `model` is the request's; set it to the judge model before sending.
 */
export function judgePrompt(request: ChatRequest, answer: string): ChatRequest {
  let system = '';
  let question = '';
  for (const message of request.messages) {
    if (message.role === 'system') system += textOf(message.content);
    else if (message.role === 'user') question = textOf(message.content);
  }
  const context = system === '' ? '' : `Instructions the assistant had:\n"""\n${clip(system)}\n"""\n\n`;
  return {
    model: request.model,
    messages: [
      { role: 'system', content: [{ type: 'text', text: JUDGE_SYSTEM_PROMPT }] },
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: `${context}Request:\n"""\n${clip(question)}\n"""\n\nAnswer:\n"""\n${clip(answer)}\n"""\n\nRating (0-10):`,
          },
        ],
      },
    ],
    stream: false,
    maxTokens: 5,
    temperature: 0,
  };
}

/** The judge's rating as 0..1: `8`, `8/10`, `8.5 out of 10`, `Rating: 7`, `85/100`, `85%`. */
export function parseJudgeScore(text: string): number | undefined {
  const match = /(\d+(?:\.\d+)?)\s*(?:(?:\/|out of)\s*(10|100)\b|(%))?/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const scale = match[3] === '%' ? 100 : match[2] === undefined ? (value <= 10 ? 10 : 100) : Number(match[2]);
  if (!(value >= 0) || value > scale) return undefined;
  return value / scale;
}
