/**
 * @module execution/confidence/scorers
 * The individual confidence signals. Red flags — a refusal, hedging, an empty answer, a cut or
 * filtered answer, JSON that does not parse or does not fit the schema — each put a ceiling on
 * the score; evidence — token log-probabilities, agreement with other models, a judge's rating,
 * valid structured output — moves it within that ceiling. Each scorer returns its contribution
 * with a note that says what it saw, for the decision trace.
 */

import type { ChatChoice, ChatRequest, ChatResult } from '../../core/chat.js';
import { agreement } from './agreement.js';
import { validateJsonSchema } from './json-schema.js';

export interface Signal {
  scorer: string;
  score: number;
  /** Weight in the weighted mean; 0 for red flags, which act through `cap`. */
  weight: number;
  note: string;
  /** Ceiling this signal puts on the combined score. */
  cap?: number;
}

/** The answer of an unverified model: no red flags found, no evidence either. */
export const PRIOR_SCORE = 0.85;

/** Openings of a refusal, lower-cased, searched for in the head of the answer. */
export const REFUSAL_PHRASES: readonly string[] = [
  "i'm sorry, but i can't",
  "i'm sorry, but i cannot",
  'i am sorry, but i cannot',
  "i'm sorry, i can't",
  "i can't help with",
  'i cannot help with',
  "i can't assist with",
  'i cannot assist with',
  "i can't provide",
  'i cannot provide',
  "i can't comply",
  'i cannot comply',
  "i'm unable to",
  'i am unable to',
  "i won't be able to",
  'i will not be able to',
  "i'm not able to help",
  'i must decline',
  'as an ai',
  'against my guidelines',
];

/**
 * Phrases of doubt and how much each says; three strong ones make an answer a guess. No phrase may
 * begin another: `hedgesFrom` finds at most one per index.
 */
export const HEDGES: readonly [phrase: string, strength: number][] = [
  ["i'm not sure", 0.35],
  ['i am not sure', 0.35],
  ['not entirely sure', 0.35],
  ['not completely sure', 0.35],
  ["i'm not certain", 0.35],
  ['i am not certain', 0.35],
  ['could be wrong', 0.35],
  ['may be wrong', 0.35],
  ['might be wrong', 0.35],
  ["i don't know", 0.35],
  ['i do not know', 0.35],
  ['my best guess', 0.35],
  ["i'm guessing", 0.35],
  ['i think', 0.2],
  ['i believe', 0.2],
  ['it depends', 0.2],
  ['hard to say', 0.2],
  ['difficult to say', 0.2],
  ['if i recall', 0.2],
  ['if i remember correctly', 0.2],
  ['to the best of my knowledge', 0.2],
];

const WEAK_HEDGES = /\b(?:might|maybe|perhaps|possibly|probably|uncertain|unsure)\b/g;

/**
 * One pass of the regex engine says whether any phrase of a list occurs, where an `includes` per
 * phrase scans the text twenty times (8 µs on a 1 KB answer against 1.3 µs). Most answers contain
 * none, so working out which ones, and in what order, waits for a hit.
 */
function anyOf(phrases: readonly string[]): RegExp {
  return new RegExp(phrases.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
}

const ANY_REFUSAL = anyOf(REFUSAL_PHRASES);
const ANY_HEDGE = anyOf(HEDGES.map(([phrase]) => phrase));
/** Both lists' phrases in one pattern: see `mayRefuseOrHedge`. */
const ANY_REFUSAL_OR_HEDGE = anyOf([...REFUSAL_PHRASES, ...HEDGES.map(([phrase]) => phrase)]);
/** The hedge that begins at an index, overlapping ones included: a lookahead consumes nothing. */
const HEDGE_AT = new RegExp(`(?=(${ANY_HEDGE.source}))`, 'g');

/** Counts words as `split(/\s+/).length` would, without building the array of words. */
const WHITESPACE_RUN = /\s+/g;

/** How far below 1 the strongest hedge takes the score: full hedging scores 1 − 0.55. */
const HEDGE_DEPTH = 0.55;

/** Refusals shorter than this are the whole answer; longer ones are a caveat in a real answer. */
const SHORT_REFUSAL_CHARS = 300;

/** A refusal opens the answer; a phrase further on is quoted or discussed, not said. */
const REFUSAL_HEAD_CHARS = 240;

export function answerText(choice: ChatChoice | undefined): string {
  if (choice === undefined) return '';
  let text = '';
  for (const part of choice.message.content) if (part.type === 'text') text += part.text;
  return text;
}

/**
 * Lower-cased with the typographic apostrophe folded, for phrase search. Computed once per answer
 * and shared by the refusal and hedging scorers. The replace runs only when there is an apostrophe
 * to fold: even a replace that finds nothing costs more than the search that says so.
 */
export function folded(text: string): string {
  const lower = text.toLowerCase();
  return lower.includes('\u2019') ? lower.replace(/\u2019/g, "'") : lower;
}

/**
 * `folded(text.slice(0, REFUSAL_HEAD_CHARS))`, cut from the whole folded text where that finds the
 * same phrases. It does whenever folding kept the length: only U+0130 (İ → i + U+0307) lower-cases
 * to more code units, so every other character stays at its index and the ASCII phrases line up;
 * what differs at all (σ or final ς, the halves of a pair cut at the boundary) is never ASCII.
 */
function foldedHead(text: string, lower: string): string {
  if (text.length <= REFUSAL_HEAD_CHARS) return lower;
  if (lower.length === text.length) return lower.slice(0, REFUSAL_HEAD_CHARS);
  return folded(text.slice(0, REFUSAL_HEAD_CHARS));
}

/**
 * The hedge phrases that occur in `lower` at or after `from`, in one scan where an `includes` per
 * phrase would make twenty-one (3.4 µs against 7.4 µs on a 1 KB answer).
 */
function hedgesFrom(lower: string, from: number): Set<string> {
  const seen = new Set<string>();
  HEDGE_AT.lastIndex = from;
  for (let match = HEDGE_AT.exec(lower); match !== null; match = HEDGE_AT.exec(lower)) {
    seen.add(match[1]!);
    HEDGE_AT.lastIndex = match.index + 1;
  }
  return seen;
}

/**
 * Whether `lower` (a folded answer) holds any refusal or hedge phrase: one scan where the two
 * scorers make one each. Most answers hold none; the scorers are then told so (`phrases` false)
 * and skip theirs (0.15 µs against 0.17 µs on a short answer, 0.81 against 0.94 on one with weak
 * hedge words, 2.16 against 2.29 on 1 KB). A refusal phrase in the folded head of an answer is
 * one in the folded whole: folding a prefix changes no ASCII character of it.
 */
export function mayRefuseOrHedge(lower: string): boolean {
  return ANY_REFUSAL_OR_HEDGE.test(lower);
}

/** `lower.match(WEAK_HEDGES)?.length ?? 0`, without making the array of matches. */
function weakHedgeCount(lower: string): number {
  let count = 0;
  WEAK_HEDGES.lastIndex = 0;
  while (WEAK_HEDGES.test(lower)) count++;
  return count;
}

function wordCount(lower: string): number {
  let runs = 0;
  WHITESPACE_RUN.lastIndex = 0;
  while (WHITESPACE_RUN.test(lower)) runs++;
  return runs + 1;
}

// Verdicts that do not depend on the text, built once: nearly every answer gets some of them.
const EMPTY: Signal = Object.freeze({
  scorer: 'empty',
  score: 0,
  weight: 0,
  cap: 0.05,
  note: 'empty answer (caps at 0.05)',
});
const ONLY_TOOL_CALLS: Signal = Object.freeze({ scorer: 'empty', score: 1, weight: 0, note: 'tool calls' });
const HAS_CONTENT: Signal = Object.freeze({ scorer: 'empty', score: 1, weight: 0, note: 'has content' });
const REFUSAL_FIELD: Signal = Object.freeze({
  scorer: 'refusal',
  score: 0.1,
  weight: 0,
  cap: 0.1,
  note: 'refused (refusal field; caps at 0.1)',
});
const NO_REFUSAL: Signal = Object.freeze({ scorer: 'refusal', score: 1, weight: 0, note: 'no refusal' });
const NO_TEXT: Signal = Object.freeze({ scorer: 'hedging', score: 1, weight: 0, note: 'no text' });
const NO_HEDGING: Signal = Object.freeze({ scorer: 'hedging', score: 1, weight: 0, note: 'no hedging' });

export function emptySignal(choice: ChatChoice | undefined, text: string): Signal {
  const hasToolCalls = (choice?.message.toolCalls?.length ?? 0) > 0;
  const blank = text.trim() === '';
  if (blank && !hasToolCalls && choice?.message.refusal === undefined) return EMPTY;
  return hasToolCalls && blank ? ONLY_TOOL_CALLS : HAS_CONTENT;
}

/**
 * `lower` is `folded(text)`, when the caller has it already; `phrases` false says it holds no
 * refusal phrase (`mayRefuseOrHedge`), leaving only the refusal field to look at.
 */
export function refusalSignal(
  choice: ChatChoice | undefined,
  text: string,
  lower = folded(text),
  phrases = true,
): Signal {
  if (choice?.message.refusal !== undefined && choice.message.refusal !== '') return REFUSAL_FIELD;
  if (!phrases) return NO_REFUSAL;
  const head = foldedHead(text, lower);
  if (!ANY_REFUSAL.test(head)) return NO_REFUSAL;
  const phrase = REFUSAL_PHRASES.find((p) => head.includes(p));
  if (phrase === undefined) return NO_REFUSAL;
  if (text.length < SHORT_REFUSAL_CHARS) {
    return { scorer: 'refusal', score: 0.1, weight: 0, cap: 0.1, note: `refused ("${phrase}"; caps at 0.1)` };
  }
  return {
    scorer: 'refusal',
    score: 0.5,
    weight: 0,
    cap: 0.55,
    note: `refusal phrase in a longer answer ("${phrase}"; caps at 0.55)`,
  };
}

/**
 * `lower` is `folded(text)`, when the caller has it already; `phrases` false says it holds no
 * hedge phrase (`mayRefuseOrHedge`), leaving only the weak hedge words to count.
 */
export function hedgingSignal(text: string, lower = folded(text), phrases = true): Signal {
  if (text === '') return NO_TEXT;
  let strength = 0;
  const found: string[] = [];
  // The leftmost hit of the combined pattern is where the earliest phrase begins: scan from there.
  const first = phrases ? lower.search(ANY_HEDGE) : -1;
  if (first !== -1) {
    const seen = hedgesFrom(lower, first);
    for (const [phrase, weight] of HEDGES) {
      if (seen.has(phrase)) {
        strength += weight;
        found.push(phrase);
      }
    }
  }
  const weak = weakHedgeCount(lower);
  if (weak > 0) strength += Math.min(0.4, (4 * weak) / Math.max(20, wordCount(lower)));
  strength = Math.min(1, strength);
  if (strength === 0) return NO_HEDGING;
  const score = Math.round((1 - HEDGE_DEPTH * strength) * 1000) / 1000;
  const what = [
    ...found.map((p) => `"${p}"`),
    ...(weak > 0 ? [`${weak} weak hedge word${weak === 1 ? '' : 's'}`] : []),
  ];
  return {
    scorer: 'hedging',
    score,
    weight: 0,
    cap: score,
    note: `hedges: ${what.join(', ')} (caps at ${score})`,
  };
}

export function finishSignal(request: ChatRequest, choice: ChatChoice | undefined): Signal {
  const reason = choice?.finishReason.unified;
  switch (reason) {
    case 'length':
      // A cut the caller asked for (max_tokens) is what they wanted; an unasked one is a broken answer.
      return request.maxTokens === undefined
        ? {
            scorer: 'truncated',
            score: 0.4,
            weight: 0,
            cap: 0.4,
            note: 'cut at the length limit (caps at 0.4)',
          }
        : {
            scorer: 'truncated',
            score: 0.65,
            weight: 0,
            cap: 0.65,
            note: `cut at the requested max_tokens ${request.maxTokens} (caps at 0.65)`,
          };
    case 'content_filter':
      return {
        scorer: 'content_filter',
        score: 0.1,
        weight: 0,
        cap: 0.1,
        note: 'filtered by the provider (caps at 0.1)',
      };
    case 'error':
      return { scorer: 'truncated', score: 0, weight: 0, cap: 0, note: 'the generation ended in an error' };
    case 'stop':
      return FINISHED_STOP;
    case 'tool_calls':
      return FINISHED_TOOL_CALLS;
    case undefined:
      return FINISHED_NO_CHOICE;
    default:
      return finished(reason);
  }
}

function finished(reason: string): Signal {
  return { scorer: 'truncated', score: 1, weight: 0, note: `finished (${reason})` };
}

// The verdicts on the usual endings, built once: nearly every answer gets one of them.
const FINISHED_STOP: Signal = Object.freeze(finished('stop'));
const FINISHED_TOOL_CALLS: Signal = Object.freeze(finished('tool_calls'));
const FINISHED_NO_CHOICE: Signal = Object.freeze(finished('no choice'));

function parseJsonAnswer(text: string): { ok: true; value: unknown; fenced: boolean } | { ok: false } {
  let body = text.trim();
  let fenced = false;
  if (body.startsWith('```')) {
    body = body.replace(/^```[a-zA-Z]*\s*/, '').replace(/```\s*$/, '');
    fenced = true;
  }
  try {
    return { ok: true, value: JSON.parse(body), fenced };
  } catch {
    return { ok: false };
  }
}

const NO_SIGNALS: readonly Signal[] = Object.freeze([]);

/** JSON validity when the request asked for JSON, and tool-call arguments against the tools' schemas. */
export function jsonSignals(
  request: ChatRequest,
  choice: ChatChoice | undefined,
  text: string,
): readonly Signal[] {
  const format = request.responseFormat;
  const calls = choice?.message.toolCalls;
  // Most answers are plain text to a plain request: nothing to check, nothing to allocate.
  if (format === undefined && (calls === undefined || calls.length === 0)) return NO_SIGNALS;
  const signals: Signal[] = [];
  if ((format?.type === 'json_object' || format?.type === 'json_schema') && text.trim() !== '') {
    const parsed = parseJsonAnswer(text);
    if (!parsed.ok) {
      signals.push({
        scorer: 'json',
        score: 0.15,
        weight: 1,
        cap: 0.15,
        note: 'JSON was asked for; the answer does not parse (caps at 0.15)',
      });
    } else {
      const schema = format.type === 'json_schema' ? format.jsonSchema.schema : undefined;
      const problems = schema === undefined ? [] : validateJsonSchema(schema, parsed.value);
      if (problems.length > 0) {
        const first = problems[0]!;
        signals.push({
          scorer: 'json',
          score: 0.35,
          weight: 1,
          cap: 0.35,
          note: `JSON does not fit the schema: ${first.path} ${first.message}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''} (caps at 0.35)`,
        });
      } else {
        signals.push({
          scorer: 'json',
          score: parsed.fenced ? 0.85 : 1,
          weight: 1,
          note: `valid JSON${schema === undefined ? '' : ' that fits the schema'}${parsed.fenced ? ', wrapped in a code fence' : ''}`,
        });
      }
    }
  }
  if (calls !== undefined && calls.length > 0) {
    const bad: string[] = [];
    for (const call of calls) {
      let args: unknown;
      try {
        args = JSON.parse(call.arguments === '' ? '{}' : call.arguments);
      } catch {
        bad.push(`${call.name}: arguments do not parse`);
        continue;
      }
      const tool = request.tools?.find((t) => t.name === call.name);
      if (request.tools !== undefined && tool === undefined) {
        bad.push(`${call.name}: no such tool`);
        continue;
      }
      const problems = tool?.parameters === undefined ? [] : validateJsonSchema(tool.parameters, args);
      if (problems.length > 0) bad.push(`${call.name}: ${problems[0]!.path} ${problems[0]!.message}`);
    }
    signals.push(
      bad.length === 0
        ? {
            scorer: 'tool_calls',
            score: 1,
            weight: 1,
            note: `${calls.length} well-formed tool call${calls.length === 1 ? '' : 's'}`,
          }
        : { scorer: 'tool_calls', score: 0.3, weight: 1, cap: 0.3, note: `${bad.join('; ')} (caps at 0.3)` },
    );
  }
  return signals;
}

/** exp(mean token log-probability): the model's own per-token confidence. */
export function logprobSignal(choice: ChatChoice | undefined): Signal | undefined {
  const tokens = choice?.logprobs;
  if (tokens === undefined || tokens.length === 0) return undefined;
  let sum = 0;
  let count = 0;
  for (const token of tokens) {
    if (Number.isFinite(token.logprob)) {
      sum += token.logprob;
      count++;
    }
  }
  if (count === 0) return undefined;
  const mean = sum / count;
  const score = Math.round(Math.exp(mean) * 1000) / 1000;
  return {
    scorer: 'logprob',
    score,
    weight: 2,
    note: `mean token logprob ${mean.toFixed(3)} over ${count} tokens`,
  };
}

/** Mean agreement with the other ensemble members' answers. */
export function agreementSignal(text: string, peers: readonly ChatResult[] | undefined): Signal | undefined {
  if (peers === undefined || peers.length === 0) return undefined;
  let total = 0;
  for (const peer of peers) total += agreement(text, answerText(peer.choices[0]));
  const score = Math.round((total / peers.length) * 1000) / 1000;
  return {
    scorer: 'agreement',
    score,
    weight: 2,
    note: `agrees ${score} with ${peers.length} other answer${peers.length === 1 ? '' : 's'}`,
  };
}
