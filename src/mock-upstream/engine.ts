/**
 * @module mock-upstream/engine
 * Deterministic content for the mock upstream, independent of any wire protocol: a wire module
 * decodes its request into a `ChatInput`, the engine answers with token pieces (text, a tool
 * call, JSON for structured output, logprobs), and the wire module encodes them. The same
 * conversation, model and seed always give the same answer. Simple arithmetic (arithmetic.ts) is
 * answered correctly so quality checks downstream have something true to verify; the rest is
 * plausible filler whose length follows the profile. Prompt directives (`[[mock:refuse]]`,
 * `[[mock:hedge]]`, `[[mock:empty]]`, `[[mock:fault=KIND]]`) let a test steer the answer through
 * a gateway that only forwards message text.
 */

import { answerArithmetic } from './arithmetic.js';
import { createRandom, finalizeHash, hashNumber, hashString, type Random } from './random.js';
import { sampleFromSchema } from './schema-sample.js';
import { splitTokens } from './tokens.js';

/** One message of the conversation, reduced to what the engine reads. */
export interface MockMessage {
  readonly role: string;
  /** All text of the message (tool-call arguments included), for hashing, directives and counting. */
  readonly text: string;
}

export interface MockTool {
  readonly name: string;
  readonly description: string;
  /** JSON schema of the arguments. */
  readonly parameters: unknown;
}

export type MockToolChoice =
  | { readonly kind: 'auto' }
  | { readonly kind: 'none' }
  | { readonly kind: 'required' }
  | { readonly kind: 'tool'; readonly name: string };

export type MockResponseFormat =
  | { readonly kind: 'text' }
  | { readonly kind: 'json_object' }
  | { readonly kind: 'json_schema'; readonly schema: unknown };

/** A chat request in the engine's protocol-independent terms. */
export interface ChatInput {
  readonly model: string;
  readonly messages: readonly MockMessage[];
  readonly tools: readonly MockTool[];
  readonly toolChoice: MockToolChoice;
  readonly responseFormat: MockResponseFormat;
  /** Cap on output tokens per choice. */
  readonly maxTokens: number | undefined;
  /** Number of choices. */
  readonly n: number;
  /** Alternatives per token when logprobs were asked for; undefined when they were not. */
  readonly topLogprobs: number | undefined;
}

/** What the prompt directives asked for. */
export interface Directives {
  refuse: boolean;
  hedge: boolean;
  empty: boolean;
  /** Raw `KIND` or `KIND:N` of a `[[mock:fault=…]]` directive. */
  fault: string | undefined;
}

export interface TokenLogprob {
  readonly logprob: number;
  /** Most likely tokens at this position, the chosen one first. */
  readonly top: readonly { readonly token: string; readonly logprob: number }[];
}

export interface MockToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
  /** `arguments` split into tokens, as they are streamed. */
  readonly pieces: readonly string[];
}

export type MockFinishReason = 'stop' | 'length' | 'tool_calls';

/** One generated choice. */
export interface MockChoice {
  /** Text tokens; joined they are the answer (empty for a tool call). */
  readonly pieces: readonly string[];
  /** The text is a refusal (a wire may carry it in a separate field). */
  readonly refusal: boolean;
  readonly toolCall: MockToolCall | undefined;
  readonly finishReason: MockFinishReason;
  /** Aligned with `pieces`; undefined unless asked for. */
  readonly logprobs: readonly TokenLogprob[] | undefined;
  /** Output tokens this choice costs: the text pieces, or the name plus argument pieces of a tool call. */
  readonly tokens: number;
}

export interface GenerateOptions {
  readonly seed: number;
  /** Answer length in tokens from the profile; undefined → 20 to 60 tokens, varying per request. */
  readonly outputTokens: number | undefined;
  readonly directives: Directives | undefined;
}

export const REFUSAL_TEXT = "I'm sorry, but I can't help with that.";
const HEDGE_PREFIX = "I'm not entirely sure, but I think";
const HEDGE_SUFFIX = ' I could be wrong, though.';
const DIRECTIVE_OPEN = '[[mock:';
const MAX_QUOTED_CHARS = 1000;

// Words of at most 8 letters, so each one is exactly one token under the mock's token rule.
const VOCABULARY = (
  'the a system model request answer result value data service network cache gateway ' +
  'provider token stream latency budget route signal record report review design simple ' +
  'clear stable quick careful useful general modern common direct robust small large first ' +
  'next final usually often rarely always can will should might helps keeps makes shows ' +
  'returns handles reduces improves supports measures builds checks and or but with for ' +
  'from into over under between across while because when each every most many some this'
).split(' ');

/** Reads `[[mock:…]]` directives from every message; undefined when there are none (the usual case). */
/**
 * Directives in message text: `[[mock:refuse]]`, `[[mock:hedge]]`, `[[mock:empty]]`,
 * `[[mock:fault=KIND]]`; `[[mock:refuse@MODEL]]` applies only when MODEL is the one asked, so one
 * prompt can make a cheap model refuse and a strong one answer (for cascades).
 */
export function readDirectives(messages: readonly MockMessage[], model?: string): Directives | undefined {
  let directives: Directives | undefined;
  for (const message of messages) {
    let at = message.text.indexOf(DIRECTIVE_OPEN);
    while (at !== -1) {
      const end = message.text.indexOf(']]', at);
      if (end === -1) break;
      let name = message.text.slice(at + DIRECTIVE_OPEN.length, end).trim();
      const scope = name.lastIndexOf('@');
      if (scope !== -1) {
        const target = name.slice(scope + 1);
        name = name.slice(0, scope);
        if (target !== model) {
          at = message.text.indexOf(DIRECTIVE_OPEN, end);
          continue;
        }
      }
      directives ??= { refuse: false, hedge: false, empty: false, fault: undefined };
      if (name === 'refuse') directives.refuse = true;
      else if (name === 'hedge') directives.hedge = true;
      else if (name === 'empty') directives.empty = true;
      else if (name.startsWith('fault=')) directives.fault = name.slice('fault='.length);
      at = message.text.indexOf(DIRECTIVE_OPEN, end);
    }
  }
  return directives;
}

/** Hash of what makes two requests "the same": model, roles and texts, and the seed. */
export function conversationHash(input: ChatInput, seed: number): number {
  let hash = hashString(input.model, hashNumber(seed));
  for (const message of input.messages) {
    hash = hashString(message.text, hashString(message.role, hash));
  }
  return hash;
}

/** Generates the answer's choices. */
export function generateChat(input: ChatInput, options: GenerateOptions): MockChoice[] {
  const base = conversationHash(input, options.seed);
  const choices: MockChoice[] = [];
  for (let index = 0; index < input.n; index++) {
    choices.push(generateChoice(input, options, hashNumber(index, base)));
  }
  return choices;
}

function generateChoice(input: ChatInput, options: GenerateOptions, hash: number): MockChoice {
  const random = createRandom(hash);
  const directives = options.directives;
  if (directives?.empty) return textChoice([], false, input, hash, false);
  if (directives?.refuse) return textChoice(splitTokens(REFUSAL_TEXT), true, input, hash, false);

  const last = input.messages[input.messages.length - 1];
  const afterToolResult = last?.role === 'tool';
  if (!afterToolResult) {
    const tool = chooseTool(input);
    if (tool !== undefined) return toolCallChoice(tool, input, random);
  }

  const hedge = directives?.hedge === true;
  let text: string;
  if (afterToolResult) {
    text = `Based on the tool result: ${quoteToolResults(input.messages)}`;
  } else if (input.responseFormat.kind === 'json_schema') {
    return textChoice(
      splitTokens(JSON.stringify(sampleFromSchema(input.responseFormat.schema, random))),
      false,
      input,
      hash,
      hedge,
    );
  } else {
    text = answerArithmetic(lastUserText(input.messages)) ?? generateProse(random, options.outputTokens);
  }
  if (hedge) text = `${HEDGE_PREFIX} ${lowerFirst(text)}${HEDGE_SUFFIX}`;
  if (input.responseFormat.kind === 'json_object') text = JSON.stringify({ answer: text });
  return textChoice(splitTokens(text), false, input, hash, hedge);
}

function textChoice(
  pieces: string[],
  refusal: boolean,
  input: ChatInput,
  hash: number,
  hedge: boolean,
): MockChoice {
  let finishReason: MockFinishReason = 'stop';
  let kept = pieces;
  if (input.maxTokens !== undefined && pieces.length > input.maxTokens) {
    kept = pieces.slice(0, input.maxTokens);
    finishReason = 'length';
  }
  const logprobs =
    input.topLogprobs === undefined ? undefined : tokenLogprobs(kept, hash, input.topLogprobs, hedge);
  return { pieces: kept, refusal, toolCall: undefined, finishReason, logprobs, tokens: kept.length };
}

function chooseTool(input: ChatInput): MockTool | undefined {
  const choice = input.toolChoice;
  if (input.tools.length === 0 || choice.kind === 'none') return undefined;
  if (choice.kind === 'tool') return input.tools.find((tool) => tool.name === choice.name);
  return input.tools[0];
}

function toolCallChoice(tool: MockTool, input: ChatInput, random: Random): MockChoice {
  const args = JSON.stringify(sampleFromSchema(tool.parameters ?? { type: 'object' }, random));
  let pieces = splitTokens(args);
  let finishReason: MockFinishReason = 'tool_calls';
  // The name is one token; a cap below the whole call cuts the arguments, as a real model would.
  if (input.maxTokens !== undefined && pieces.length + 1 > input.maxTokens) {
    pieces = pieces.slice(0, Math.max(input.maxTokens - 1, 0));
    finishReason = 'length';
  }
  const toolCall: MockToolCall = { id: callId(random), name: tool.name, arguments: pieces.join(''), pieces };
  return {
    pieces: [],
    refusal: false,
    toolCall,
    finishReason,
    logprobs: undefined,
    tokens: pieces.length + 1,
  };
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function callId(random: Random): string {
  let id = 'call_';
  for (let i = 0; i < 24; i++) id += ID_ALPHABET[random.int(ID_ALPHABET.length)];
  return id;
}

function quoteToolResults(messages: readonly MockMessage[]): string {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === 'tool') start--;
  let quoted = messages
    .slice(start)
    .map((message) => message.text)
    .join('; ');
  if (quoted.length > MAX_QUOTED_CHARS) quoted = `${quoted.slice(0, MAX_QUOTED_CHARS)}…`;
  return quoted;
}

function lastUserText(messages: readonly MockMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user') return message.text;
  }
  return '';
}

function lowerFirst(text: string): string {
  const first = text.charCodeAt(0);
  // Only lower-case a generated sentence start, never "I" or a number.
  if (first >= 65 && first <= 90 && text.charCodeAt(1) !== 32) return text[0]!.toLowerCase() + text.slice(1);
  return text;
}

/** Prose of exactly `target` tokens (20–60 when the profile does not say). */
function generateProse(random: Random, target: number | undefined): string {
  const length = target ?? 20 + random.int(41);
  const pieces: string[] = [];
  let words = 0;
  let sentenceLength = 6 + random.int(9);
  while (pieces.length < length) {
    const remaining = length - pieces.length;
    if (words > 0 && (remaining === 1 || words >= sentenceLength)) {
      pieces.push('.');
      words = 0;
      sentenceLength = 6 + random.int(9);
      continue;
    }
    let word = VOCABULARY[random.int(VOCABULARY.length)] ?? 'the';
    if (words === 0) word = word[0]!.toUpperCase() + word.slice(1);
    pieces.push(pieces.length === 0 ? word : ` ${word}`);
    words++;
    if (words >= 3 && words < sentenceLength - 2 && remaining > 3 && random.next() < 0.08) pieces.push(',');
  }
  return pieces.join('');
}

function tokenLogprobs(pieces: readonly string[], hash: number, top: number, hedge: boolean): TokenLogprob[] {
  const result: TokenLogprob[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const token = pieces[i]!;
    const h = finalizeHash(hashString(token, hashNumber(i, hash)));
    // Hedged answers get visibly lower confidence, so logprob-based scoring can tell them apart.
    const logprob = hedge ? -(0.9 + (h % 1000) / 1000) : -((h % 1000) / 4000);
    const alternatives: { token: string; logprob: number }[] = [];
    for (let k = 0; k < top; k++) {
      if (k === 0) {
        alternatives.push({ token, logprob });
        continue;
      }
      const word = VOCABULARY[(h >>> k) % VOCABULARY.length] ?? 'the';
      alternatives.push({ token: ` ${word}`, logprob: logprob - 1.5 * k - ((h >>> (k + 3)) % 100) / 200 });
    }
    result.push({ logprob, top: alternatives });
  }
  return result;
}
