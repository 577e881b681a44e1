/**
 * @module execution/confidence
 * PROVISIONAL minimal scorer written by the lead so the tree builds while the full confidence
 * module (refusal, hedging, truncation, JSON validity, logprobs, agreement, judge) is being
 * written in this folder; it is replaced by that module.
 */

import { type ChatRequest, type ChatResult, textOf } from '../../core/chat.js';

export interface ConfidenceInput {
  request: ChatRequest;
  result: ChatResult;
  peers?: ChatResult[];
}
export interface ScorerContribution {
  scorer: string;
  score: number;
  weight: number;
  note: string;
}
export interface Confidence {
  score: number;
  contributions: ScorerContribution[];
}

const REFUSAL = /\b(i'?m sorry|i can(?:'|no)t help|i cannot|i won'?t be able)\b/i;
const HEDGE = /\b(i'?m not sure|it depends|possibly|might be|uncertain)\b/i;

export function scoreConfidence(input: ConfidenceInput, _options?: { judge?: number }): Confidence {
  const choice = input.result.choices[0];
  const text = choice ? textOf(choice.message.content) : '';
  const contributions: ScorerContribution[] = [];
  let score = 0.85;
  if (choice?.message.toolCalls?.length) return { score, contributions };
  if (text.trim() === '') {
    contributions.push({ scorer: 'empty', score: 0, weight: 1, note: 'empty answer' });
    score = 0;
  } else if (REFUSAL.test(text)) {
    contributions.push({ scorer: 'refusal', score: 0.1, weight: 1, note: 'refusal' });
    score = 0.1;
  } else if (HEDGE.test(text)) {
    contributions.push({ scorer: 'hedging', score: 0.45, weight: 1, note: 'hedged' });
    score = 0.45;
  }
  if (choice?.finishReason.unified === 'length') score = Math.min(score, 0.5);
  return { score, contributions };
}

export function agreement(a: string, b: string): number {
  return a.trim().toLowerCase() === b.trim().toLowerCase() ? 1 : 0;
}

export function majorityVote(answers: string[]): { winner: number; votes: number } {
  let winner = 0;
  let votes = 0;
  answers.forEach((answer, i) => {
    const count = answers.filter((other) => agreement(answer, other) === 1).length;
    if (count > votes) {
      votes = count;
      winner = i;
    }
  });
  return { winner, votes };
}
