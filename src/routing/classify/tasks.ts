/**
 * @module routing/classify/tasks
 * The task types and complexity tiers routing reasons about, their order, and the aliases that
 * map what callers and seed configs write (`code-generation`, `conversation`, `analysis`) onto
 * them. Capabilities in the registry use the same canonical names, so a task is also the
 * capability a model needs to serve it well.
 */

import { TIERS, type Tier } from '../../config/schema.js';

export const TASKS = [
  'chat',
  'code',
  'summarization',
  'extraction',
  'classification',
  'reasoning',
  'math',
  'creative',
  'embeddings',
] as const;
export type Task = (typeof TASKS)[number];

export type { Tier };
export { TIERS };

const TIER_RANKS: Readonly<Record<Tier, number>> = { basic: 0, intermediate: 1, advanced: 2, expert: 3 };

/** 0 for basic up to 3 for expert. */
export function tierRank(tier: Tier): number {
  return TIER_RANKS[tier];
}

export function tierAt(rank: number): Tier {
  return TIERS[Math.max(0, Math.min(TIERS.length - 1, rank))] as Tier;
}

export function isTier(value: string): value is Tier {
  return value === 'basic' || value === 'intermediate' || value === 'advanced' || value === 'expert';
}

const TASK_ALIASES: Readonly<Record<string, Task>> = {
  chat: 'chat',
  conversation: 'chat',
  'text-generation': 'chat',
  qa: 'chat',
  'question-answering': 'chat',
  general: 'chat',
  code: 'code',
  coding: 'code',
  'code-generation': 'code',
  'code-completion': 'code',
  programming: 'code',
  summarization: 'summarization',
  summarisation: 'summarization',
  summary: 'summarization',
  summarize: 'summarization',
  extraction: 'extraction',
  extract: 'extraction',
  'information-extraction': 'extraction',
  classification: 'classification',
  classify: 'classification',
  reasoning: 'reasoning',
  analysis: 'reasoning',
  math: 'math',
  maths: 'math',
  arithmetic: 'math',
  creative: 'creative',
  'creative-writing': 'creative',
  writing: 'creative',
  embeddings: 'embeddings',
  embedding: 'embeddings',
};

/** The canonical task a name stands for, or undefined for names routing does not know (e.g. `mbpp`). */
export function canonicalTask(name: string): Task | undefined {
  return TASK_ALIASES[name] ?? TASK_ALIASES[name.toLowerCase()];
}
