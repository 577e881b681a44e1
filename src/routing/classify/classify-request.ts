/**
 * @module routing/classify/classify-request
 * Decides what a request asks for (task type) and how hard it is (complexity tier), from the
 * prompt alone: cue words and pairs (cues.ts), fenced code, code punctuation, arithmetic, list
 * items, question count and length. Every decision keeps its reasons, so the decision trace can
 * say `task=code (code block, 'function'), tier=intermediate ('write', ~150 tokens)`. A caller
 * may set the task and/or the tier (`x-switchyard-task`, `switchyard.tier`); what it sets is used
 * as given. One pass over the text, no allocation in the pass: a 2k-token prompt classifies in
 * a few tens of microseconds.
 */

import type { ChatRequest, Message, ResponseFormat } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { createCueIndex } from './cue-index.js';
import { CUES } from './cues.js';
import { createPromptScanner } from './prompt-scan.js';
import { isTier, TASKS, type Task, type Tier } from './tasks.js';

export interface Classification {
  /** A canonical task, or the caller's own task name when it set one (e.g. a dataset's `mbpp`). */
  task: string;
  tier: Tier;
  /** The complexity score the tier came from (cue points plus structure); 0 when the caller set the tier. */
  score: number;
  taskWhy: readonly string[];
  tierWhy: readonly string[];
  taskSource: 'caller' | 'classifier';
  tierSource: 'caller' | 'classifier';
}

export interface ClassifyInput {
  messages?: readonly Message[];
  responseFormat?: ResponseFormat;
  routing?: { task?: string; tier?: string };
}

export interface ClassifyOptions {
  /** `embeddings` requests are not chat: their task is fixed and they are not scanned. */
  operation?: 'chat' | 'embeddings';
}

/** Scores at or above which a request is intermediate, advanced, expert. */
const TIER_THRESHOLDS = [1.5, 3, 5.5] as const;
/** Least points a task needs to beat plain chat. */
const TASK_MIN_POINTS = 1.5;
/** When points tie, the more specific task wins. */
const TASK_PRIORITY: readonly Task[] = [
  'code',
  'math',
  'extraction',
  'classification',
  'summarization',
  'creative',
  'reasoning',
  'chat',
];
const TASK_SLOT: Readonly<Record<Task, number>> = Object.fromEntries(TASKS.map((t, i) => [t, i])) as Record<
  Task,
  number
>;

const index = createCueIndex(CUES);
const scanner = createPromptScanner(index);
const taskPoints = new Float64Array(TASKS.length);

const EMBEDDINGS: Classification = Object.freeze({
  task: 'embeddings',
  tier: 'basic',
  score: 0,
  taskWhy: Object.freeze(['embeddings request']),
  tierWhy: Object.freeze(['embeddings request']),
  taskSource: 'classifier',
  tierSource: 'classifier',
});

const CALLER = Object.freeze(['set by caller']);

function scanMessages(messages: readonly Message[]): void {
  let ask = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      ask = i;
      break;
    }
  }
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role !== 'user' && message.role !== 'system') continue;
    for (const part of message.content) if (part.type === 'text') scanner.scan(part.text, i === ask);
  }
}

interface Contribution {
  label: string;
  points: number;
}

function quoted(phrase: string): string {
  return `'${phrase}'`;
}

function approxTokens(chars: number): string {
  const tokens = Math.ceil(chars / 4);
  return tokens >= 1000 ? `~${(tokens / 1000).toFixed(1)}k tokens` : `~${tokens} tokens`;
}

function vote(task: Task, points: number): void {
  const slot = TASK_SLOT[task];
  taskPoints[slot] = taskPoints[slot]! + points;
}

function decideTask(jsonOutput: boolean): { task: Task; why: string[] } {
  const totals = scanner.totals;
  taskPoints.fill(0);
  for (let k = 0; k < totals.hitCount; k++) {
    const cue = CUES[totals.hits[k]!]!;
    if (cue.task !== undefined) vote(cue.task, cue.taskPoints * totals.weight[totals.hits[k]!]!);
  }
  const structural: [Task, string][] = [];
  if (totals.fences > 0) {
    vote('code', 3 + Math.min(totals.fences - 1, 2));
    structural.push(['code', totals.fences === 1 ? 'code block' : `${totals.fences} code blocks`]);
  }
  if (totals.codeSymbols >= 6) {
    vote('code', 2);
    structural.push(['code', 'code syntax']);
  }
  if (totals.mathOps > 0) {
    vote('math', 2 + Math.min(totals.mathOps - 1, 2));
    structural.push(['math', 'arithmetic']);
  }
  if (jsonOutput) {
    vote('extraction', 1.5);
    structural.push(['extraction', 'JSON output']);
  }
  let best: Task = 'chat';
  let bestPoints = 0;
  for (const task of TASK_PRIORITY) {
    const points = taskPoints[TASK_SLOT[task]]!;
    if (points > bestPoints) {
      best = task;
      bestPoints = points;
    }
  }
  if (bestPoints < TASK_MIN_POINTS) return { task: 'chat', why: ['no task cues'] };
  const why = structural.filter(([task]) => task === best).map(([, label]) => label);
  // The two strongest cue words that voted for the winner.
  let first = -1;
  let second = -1;
  let firstPoints = 0;
  let secondPoints = 0;
  for (let k = 0; k < totals.hitCount; k++) {
    const at = totals.hits[k]!;
    const cue = CUES[at]!;
    if (cue.task !== best) continue;
    const points = cue.taskPoints * totals.weight[at]!;
    if (points > firstPoints) {
      second = first;
      secondPoints = firstPoints;
      first = at;
      firstPoints = points;
    } else if (points > secondPoints) {
      second = at;
      secondPoints = points;
    }
  }
  if (first >= 0) why.push(quoted(CUES[first]!.phrase));
  if (second >= 0 && why.length < 3) why.push(quoted(CUES[second]!.phrase));
  return { task: best, why };
}

function decideTier(): { tier: Tier; score: number; why: string[] } {
  const totals = scanner.totals;
  const contributions: Contribution[] = [];
  let score = 0;
  for (let k = 0; k < totals.hitCount; k++) {
    const at = totals.hits[k]!;
    const cue = CUES[at]!;
    if (cue.complexity === 0) continue;
    const points = cue.complexity * totals.weight[at]!;
    score += points;
    contributions.push({ label: quoted(cue.phrase), points });
  }
  const structure = (label: string, points: number) => {
    score += points;
    contributions.push({ label, points });
  };
  const tokens = totals.chars / 4;
  if (tokens > 8000) structure(approxTokens(totals.chars), 2);
  else if (tokens > 3000) structure(approxTokens(totals.chars), 1.5);
  else if (tokens > 1000) structure(approxTokens(totals.chars), 1);
  else if (tokens > 300) structure(approxTokens(totals.chars), 0.5);
  if (totals.listItems >= 6) structure(`${totals.listItems} list items`, 1.5);
  else if (totals.listItems >= 3) structure(`${totals.listItems} list items`, 1);
  if (totals.questions >= 3) structure(`${totals.questions} questions`, 1);
  if (totals.fences > 0) structure('code to work on', 0.75);
  if (totals.fenceLines > 80) structure(`${totals.fenceLines} lines of code`, 0.5);

  let rank = 0;
  while (rank < TIER_THRESHOLDS.length && score >= TIER_THRESHOLDS[rank]!) rank++;
  const tier: Tier = rank === 0 ? 'basic' : rank === 1 ? 'intermediate' : rank === 2 ? 'advanced' : 'expert';
  if (contributions.length === 0) {
    return { tier, score, why: [totals.chars === 0 ? 'empty prompt' : 'no complexity cues'] };
  }
  // Basic requests are explained by what kept them simple; harder ones by what made them hard.
  contributions.sort((a, b) =>
    rank === 0 ? Math.abs(b.points) - Math.abs(a.points) || a.points - b.points : b.points - a.points,
  );
  const why: string[] = [];
  for (const c of contributions) {
    if (why.length === 3) break;
    if (rank > 0 && c.points <= 0) break;
    why.push(c.label);
  }
  return { tier, score: Math.round(score * 100) / 100, why };
}

/**
 * Classifies a request. `routing.task` and `routing.tier` (when set) are used as given; the rest
 * comes from the prompt's system and user text.
 */
export function classifyRequest(request: ClassifyInput, options: ClassifyOptions = {}): Classification {
  if (options.operation === 'embeddings') return EMBEDDINGS;
  const callerTask = request.routing?.task;
  const callerTier = request.routing?.tier;
  if (callerTier !== undefined && !isTier(callerTier)) {
    throw invalidRequest(`tier must be one of basic, intermediate, advanced, expert`, 'tier');
  }
  if (callerTask !== undefined && callerTier !== undefined) {
    return {
      task: callerTask,
      tier: callerTier,
      score: 0,
      taskWhy: CALLER,
      tierWhy: CALLER,
      taskSource: 'caller',
      tierSource: 'caller',
    };
  }
  scanner.reset();
  if (request.messages !== undefined) scanMessages(request.messages);
  const format = request.responseFormat?.type;
  const task =
    callerTask === undefined ? decideTask(format === 'json_object' || format === 'json_schema') : undefined;
  const tier = callerTier === undefined ? decideTier() : undefined;
  return {
    task: callerTask ?? task!.task,
    tier: callerTier ?? tier!.tier,
    score: tier?.score ?? 0,
    taskWhy: task?.why ?? CALLER,
    tierWhy: tier?.why ?? CALLER,
    taskSource: callerTask === undefined ? 'classifier' : 'caller',
    tierSource: callerTier === undefined ? 'classifier' : 'caller',
  };
}

/** Classifies one user prompt (a convenience for tests, the CLI and the eval). */
export function classifyPrompt(prompt: string, routing?: ChatRequest['routing']): Classification {
  return classifyRequest({
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    ...(routing === undefined ? {} : { routing }),
  });
}

/** `task=code (code block, 'function'), tier=intermediate ('write', ~150 tokens)`. */
export function describeClassification(c: Classification): string {
  return `task=${c.task} (${c.taskWhy.join(', ')}), tier=${c.tier} (${c.tierWhy.join(', ')})`;
}
