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

function quoted(phrase: string): string {
  return `'${phrase}'`;
}

// Per cue, worked out once: the slot of the task it votes for (-1: none) and its label in a trace.
const CUE_SLOT = Int8Array.from(CUES, (cue) => (cue.task === undefined ? -1 : TASK_SLOT[cue.task]));
const CUE_LABEL: readonly string[] = CUES.map((cue) => quoted(cue.phrase));
const PRIORITY_SLOTS = Int8Array.from(TASK_PRIORITY, (task) => TASK_SLOT[task]);
const CODE_SLOT = TASK_SLOT.code;
const MATH_SLOT = TASK_SLOT.math;
const EXTRACTION_SLOT = TASK_SLOT.extraction;
const NO_TASK_CUES: Readonly<{ task: Task; why: readonly string[] }> = Object.freeze({
  task: 'chat',
  why: Object.freeze(['no task cues']),
});
const EMPTY_PROMPT = Object.freeze(['empty prompt']);
const NO_COMPLEXITY_CUES = Object.freeze(['no complexity cues']);

function approxTokens(chars: number): string {
  const tokens = Math.ceil(chars / 4);
  return tokens >= 1000 ? `~${(tokens / 1000).toFixed(1)}k tokens` : `~${tokens} tokens`;
}

function decideTask(jsonOutput: boolean): { task: Task; why: readonly string[] } {
  const totals = scanner.totals;
  for (let slot = 0; slot < taskPoints.length; slot++) taskPoints[slot] = 0;
  for (let k = 0; k < totals.hitCount; k++) {
    const at = totals.hits[k]!;
    const slot = CUE_SLOT[at]!;
    if (slot >= 0) taskPoints[slot] = taskPoints[slot]! + CUES[at]!.taskPoints * totals.weight[at]!;
  }
  // Structure votes too; its labels are written only for the task that wins.
  if (totals.fences > 0) taskPoints[CODE_SLOT] = taskPoints[CODE_SLOT]! + 3 + Math.min(totals.fences - 1, 2);
  if (totals.codeSymbols >= 6) taskPoints[CODE_SLOT] = taskPoints[CODE_SLOT]! + 2;
  if (totals.mathOps > 0)
    taskPoints[MATH_SLOT] = taskPoints[MATH_SLOT]! + 2 + Math.min(totals.mathOps - 1, 2);
  if (jsonOutput) taskPoints[EXTRACTION_SLOT] = taskPoints[EXTRACTION_SLOT]! + 1.5;
  let bestSlot = TASK_SLOT.chat;
  let bestPoints = 0;
  for (let p = 0; p < PRIORITY_SLOTS.length; p++) {
    const slot = PRIORITY_SLOTS[p]!;
    const points = taskPoints[slot]!;
    if (points > bestPoints) {
      bestSlot = slot;
      bestPoints = points;
    }
  }
  if (bestPoints < TASK_MIN_POINTS) return NO_TASK_CUES;
  const best = TASKS[bestSlot]!;
  const why: string[] = [];
  if (bestSlot === CODE_SLOT) {
    if (totals.fences > 0) why.push(totals.fences === 1 ? 'code block' : `${totals.fences} code blocks`);
    if (totals.codeSymbols >= 6) why.push('code syntax');
  } else if (bestSlot === MATH_SLOT) {
    if (totals.mathOps > 0) why.push('arithmetic');
  } else if (bestSlot === EXTRACTION_SLOT && jsonOutput) {
    why.push('JSON output');
  }
  // The two strongest cue words that voted for the winner.
  let first = -1;
  let second = -1;
  let firstPoints = 0;
  let secondPoints = 0;
  for (let k = 0; k < totals.hitCount; k++) {
    const at = totals.hits[k]!;
    if (CUE_SLOT[at] !== bestSlot) continue;
    const points = CUES[at]!.taskPoints * totals.weight[at]!;
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
  if (first >= 0) why.push(CUE_LABEL[first]!);
  if (second >= 0 && why.length < 3) why.push(CUE_LABEL[second]!);
  return { task: best, why };
}

// What raised or lowered one request's complexity score, in the order found: labels and points
// side by side, reused by every classification (it is synchronous) instead of an object each.
const contributionLabels: string[] = [];
const contributionPoints: number[] = [];
let contributionCount = 0;

function contribute(label: string, points: number): void {
  contributionLabels[contributionCount] = label;
  contributionPoints[contributionCount] = points;
  contributionCount++;
}

function decideTier(): { tier: Tier; score: number; why: readonly string[] } {
  const totals = scanner.totals;
  contributionCount = 0;
  let score = 0;
  for (let k = 0; k < totals.hitCount; k++) {
    const at = totals.hits[k]!;
    const complexity = CUES[at]!.complexity;
    if (complexity === 0) continue;
    const points = complexity * totals.weight[at]!;
    score += points;
    contribute(CUE_LABEL[at]!, points);
  }
  // Structure, in this order (the order decides between equal contributions).
  const tokens = totals.chars / 4;
  const sizePoints = tokens > 8000 ? 2 : tokens > 3000 ? 1.5 : tokens > 1000 ? 1 : tokens > 300 ? 0.5 : 0;
  if (sizePoints > 0) {
    score += sizePoints;
    contribute(approxTokens(totals.chars), sizePoints);
  }
  const listPoints = totals.listItems >= 6 ? 1.5 : totals.listItems >= 3 ? 1 : 0;
  if (listPoints > 0) {
    score += listPoints;
    contribute(`${totals.listItems} list items`, listPoints);
  }
  if (totals.questions >= 3) {
    score += 1;
    contribute(`${totals.questions} questions`, 1);
  }
  if (totals.fences > 0) {
    score += 0.75;
    contribute('code to work on', 0.75);
  }
  if (totals.fenceLines > 80) {
    score += 0.5;
    contribute(`${totals.fenceLines} lines of code`, 0.5);
  }

  let rank = 0;
  while (rank < TIER_THRESHOLDS.length && score >= TIER_THRESHOLDS[rank]!) rank++;
  const tier: Tier = rank === 0 ? 'basic' : rank === 1 ? 'intermediate' : rank === 2 ? 'advanced' : 'expert';
  if (contributionCount === 0) {
    return { tier, score, why: totals.chars === 0 ? EMPTY_PROMPT : NO_COMPLEXITY_CUES };
  }
  return {
    tier,
    score: Math.round(score * 100) / 100,
    why: strongestContributions(rank, contributionLabels, contributionPoints, contributionCount),
  };
}

/**
 * The labels of the first three contributions in explanation order — basic requests by what kept
 * them simple (largest |points| first, then the most negative), harder ones by what made them
 * hard (most points first, stopping at the first that did not add) — and among equals the one
 * found first: what a stable sort of the list by that order would put first, found without
 * sorting (a classification has a few contributions, and only three are wanted). Sorting with a
 * comparator closure cost 0.5–1 µs per classification of a prompt with four to six contributions
 * (measured), a third of classifying it.
 */
export function strongestContributions(
  rank: number,
  labels: readonly string[],
  points: readonly number[],
  count: number,
): string[] {
  const why: string[] = [];
  let first = -1;
  let second = -1;
  while (why.length < 3) {
    let next = -1;
    for (let j = 0; j < count; j++) {
      if (j === first || j === second) continue;
      if (next === -1 || explainsBefore(rank, points[j]!, points[next]!)) next = j;
    }
    if (next === -1 || (rank > 0 && points[next]! <= 0)) break;
    why.push(labels[next]!);
    if (first === -1) first = next;
    else second = next;
  }
  return why;
}

/** The order explanations were sorted by: `a` goes before `b`. */
function explainsBefore(rank: number, a: number, b: number): boolean {
  return (rank === 0 ? Math.abs(b) - Math.abs(a) || a - b : b - a) < 0;
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

/** The last description and what it was made from (the lists copied: a caller may change its own). */
interface Described {
  task: string;
  tier: string;
  taskWhy: readonly string[];
  tierWhy: readonly string[];
  text: string;
}

let lastDescribed: Described | undefined;

/** `task=code (code block, 'function'), tier=intermediate ('write', ~150 tokens)`. */
export function describeClassification(c: Classification): string {
  // Requests to one route are mostly classified alike: the text of the one before is reused
  // when it would come out the same, so that a plan's reason can be reused too (see cheapest.ts).
  const last = lastDescribed;
  if (
    last !== undefined &&
    last.task === c.task &&
    last.tier === c.tier &&
    sameList(last.taskWhy, c.taskWhy) &&
    sameList(last.tierWhy, c.tierWhy)
  ) {
    return last.text;
  }
  const text = `task=${c.task} (${joinWhy(c.taskWhy)}), tier=${c.tier} (${joinWhy(c.tierWhy)})`;
  lastDescribed = { task: c.task, tier: c.tier, taskWhy: [...c.taskWhy], tierWhy: [...c.tierWhy], text };
  return text;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `why.join(', ')`; most lists have one reason, and that one needs no join. */
function joinWhy(why: readonly string[]): string {
  return why.length === 1 ? why[0]! : why.join(', ');
}
