/**
 * The confidence scorers as they were before folding the text once and searching it with one
 * combined pattern per phrase list (November 2026), kept verbatim as the reference the equivalence
 * test compares `scoreConfidence` with. A deliberate change of scoring changes both, or retires
 * this file together with reference-equivalence.test.ts.
 */

import type { ChatChoice, ChatRequest, ChatResult } from '../../../core/chat.js';
import { agreement } from '../agreement.js';
import type { Confidence, ConfidenceInput, ConfidenceOptions } from '../index.js';
import { validateJsonSchema } from '../json-schema.js';

interface Signal {
  scorer: string;
  score: number;
  /** Weight in the weighted mean; 0 for red flags, which act through `cap`. */
  weight: number;
  note: string;
  /** Ceiling this signal puts on the combined score. */
  cap?: number;
}

/** The answer of an unverified model: no red flags found, no evidence either. */
const PRIOR_SCORE = 0.85;

const REFUSAL_PHRASES = [
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

/** Phrases of doubt and how much each says; three strong ones make an answer a guess. */
const HEDGES: readonly [phrase: string, strength: number][] = [
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

/** How far below 1 the strongest hedge takes the score: full hedging scores 1 − 0.55. */
const HEDGE_DEPTH = 0.55;

/** Refusals shorter than this are the whole answer; longer ones are a caveat in a real answer. */
const SHORT_REFUSAL_CHARS = 300;

function answerText(choice: ChatChoice | undefined): string {
  if (choice === undefined) return '';
  let text = '';
  for (const part of choice.message.content) if (part.type === 'text') text += part.text;
  return text;
}

/** Lower-cased with the typographic apostrophe folded, for phrase search. */
function folded(text: string): string {
  return text.toLowerCase().replace(/\u2019/g, "'");
}

function emptySignal(choice: ChatChoice | undefined, text: string): Signal {
  const hasToolCalls = (choice?.message.toolCalls?.length ?? 0) > 0;
  if (text.trim() === '' && !hasToolCalls && choice?.message.refusal === undefined) {
    return { scorer: 'empty', score: 0, weight: 0, cap: 0.05, note: 'empty answer (caps at 0.05)' };
  }
  return {
    scorer: 'empty',
    score: 1,
    weight: 0,
    note: hasToolCalls && text.trim() === '' ? 'tool calls' : 'has content',
  };
}

function refusalSignal(choice: ChatChoice | undefined, text: string): Signal {
  if (choice?.message.refusal !== undefined && choice.message.refusal !== '') {
    return {
      scorer: 'refusal',
      score: 0.1,
      weight: 0,
      cap: 0.1,
      note: 'refused (refusal field; caps at 0.1)',
    };
  }
  const head = folded(text.slice(0, 240));
  const phrase = REFUSAL_PHRASES.find((p) => head.includes(p));
  if (phrase === undefined) return { scorer: 'refusal', score: 1, weight: 0, note: 'no refusal' };
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

function hedgingSignal(text: string): Signal {
  if (text === '') return { scorer: 'hedging', score: 1, weight: 0, note: 'no text' };
  const lower = folded(text);
  let strength = 0;
  const found: string[] = [];
  for (const [phrase, weight] of HEDGES) {
    if (lower.includes(phrase)) {
      strength += weight;
      found.push(phrase);
    }
  }
  const weak = lower.match(WEAK_HEDGES)?.length ?? 0;
  if (weak > 0) {
    const wordCount = Math.max(20, lower.split(/\s+/).length);
    strength += Math.min(0.4, (4 * weak) / wordCount);
  }
  strength = Math.min(1, strength);
  if (strength === 0) return { scorer: 'hedging', score: 1, weight: 0, note: 'no hedging' };
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

function finishSignal(request: ChatRequest, choice: ChatChoice | undefined): Signal {
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
    default:
      return { scorer: 'truncated', score: 1, weight: 0, note: `finished (${reason ?? 'no choice'})` };
  }
}

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

/** JSON validity when the request asked for JSON, and tool-call arguments against the tools' schemas. */
function jsonSignals(request: ChatRequest, choice: ChatChoice | undefined, text: string): Signal[] {
  const signals: Signal[] = [];
  const format = request.responseFormat;
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
  const calls = choice?.message.toolCalls;
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
function logprobSignal(choice: ChatChoice | undefined): Signal | undefined {
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
function agreementSignal(text: string, peers: readonly ChatResult[] | undefined): Signal | undefined {
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

const JUDGE_WEIGHT = 3;

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Scores the first choice of `result` as an answer to `request`. */
export function referenceScoreConfidence(
  input: ConfidenceInput,
  options: ConfidenceOptions = {},
): Confidence {
  const choice = input.result.choices[0];
  const text = answerText(choice);
  const signals: Signal[] = [
    { scorer: 'prior', score: PRIOR_SCORE, weight: 1, note: 'an answer nothing has verified yet' },
    emptySignal(choice, text),
    refusalSignal(choice, text),
    hedgingSignal(text),
    finishSignal(input.request, choice),
    ...jsonSignals(input.request, choice, text),
  ];
  const logprob = logprobSignal(choice);
  if (logprob !== undefined) signals.push(logprob);
  const agreed = agreementSignal(text, input.peers);
  if (agreed !== undefined) signals.push(agreed);
  if (options.judge !== undefined && Number.isFinite(options.judge)) {
    const judge = Math.min(1, Math.max(0, options.judge));
    signals.push({
      scorer: 'judge',
      score: judge,
      weight: JUDGE_WEIGHT,
      note: `judge rated ${round(judge * 10)}/10`,
    });
  }
  let weighted = 0;
  let weights = 0;
  let cap = 1;
  for (const signal of signals) {
    weighted += signal.score * signal.weight;
    weights += signal.weight;
    if (signal.cap !== undefined && signal.cap < cap) cap = signal.cap;
  }
  const mean = weights === 0 ? PRIOR_SCORE : weighted / weights;
  return {
    score: round(Math.min(cap, Math.max(0, mean))),
    contributions: signals.map(({ scorer, score, weight, note }) => ({ scorer, score, weight, note })),
  };
}
