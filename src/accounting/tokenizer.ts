/**
 * @module accounting/tokenizer
 * Token counts for when a provider reports no usage (a stream cut before its usage chunk, an
 * upstream without usage), and a fast upper bound for budget reservations. OpenAI models get
 * exact BPE counts from gpt-tokenizer (o200k_base or cl100k_base); other families get the o200k
 * count times a family factor. The encodings weigh a few MB and take ~300 ms to import, so they
 * load lazily: `countTextTokens` is synchronous and exact once `warmTokenizer()` has resolved;
 * before that it starts the load in the background and answers with a bytes/4 estimate. Call
 * `warmTokenizer()` after the server listens, off the start-up path.
 */

import { Buffer } from 'node:buffer';
import type { ChatRequest, ContentPart, Message, ToolDefinition } from '../core/chat.js';
import type { Usage } from '../core/usage.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

export interface TokenizerChoice {
  encoding: EncodingName;
  /** Multiplier applied to the encoding's count; 1 for OpenAI models. */
  factor: number;
  /** True when the encoding is the model's own tokenizer. */
  exact: boolean;
  /** False when the factor is a placeholder rather than a measured ratio. */
  calibrated: boolean;
  family: string;
}

interface FamilyFactor {
  family: string;
  match: RegExp;
  factor: number;
  calibrated: boolean;
}

// Ratios of a family's token count to o200k_base's for the same text.
const FAMILY_FACTORS: readonly FamilyFactor[] = [
  // Claude 3.5 Sonnet vs GPT-4o on identical inputs: +16% tokens on English articles, +21% on
  // maths, +30% on Python code (Vantage / VentureBeat, "Hidden costs in AI deployment: why Claude
  // models may be 20-30% more expensive than GPT", May 2025). 1.2 sits between prose and code.
  { family: 'claude', match: /claude/, factor: 1.2, calibrated: true },
  // Google documents "about 4 characters" per Gemini token, about what o200k gives on English;
  // no measured ratio found: uncalibrated.
  { family: 'gemini', match: /gemini|gemma/, factor: 1, calibrated: false },
  // Llama 3's 128K vocabulary extends tiktoken's 100K one (Meta, "Introducing Meta Llama 3"), so
  // English counts sit close to OpenAI's; not measured against o200k: uncalibrated.
  { family: 'llama', match: /llama/, factor: 1, calibrated: false },
  {
    family: 'mistral',
    match: /mistral|mixtral|codestral|ministral|magistral|pixtral/,
    factor: 1,
    calibrated: false,
  },
  { family: 'qwen', match: /qwen|qwq/, factor: 1, calibrated: false },
  { family: 'deepseek', match: /deepseek/, factor: 1, calibrated: false },
];

const UNKNOWN_FAMILY: FamilyFactor = { family: 'unknown', match: /$^/, factor: 1, calibrated: false };

/** Which encoding and factor count tokens for a model. */
export function tokenizerFor(model: string): TokenizerChoice {
  const lower = model.toLowerCase();
  const id = lower.slice(lower.lastIndexOf('/') + 1);
  if (/^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|gpt-oss|codex|gpt-realtime|gpt-audio)/.test(id)) {
    return { encoding: 'o200k_base', factor: 1, exact: true, calibrated: true, family: 'openai' };
  }
  if (/^(?:gpt-4|gpt-3\.5|text-embedding-)/.test(id)) {
    return { encoding: 'cl100k_base', factor: 1, exact: true, calibrated: true, family: 'openai' };
  }
  const family = FAMILY_FACTORS.find((f) => f.match.test(id)) ?? UNKNOWN_FAMILY;
  return {
    encoding: 'o200k_base',
    factor: family.factor,
    exact: false,
    calibrated: family.calibrated,
    family: family.family,
  };
}

interface Encoder {
  countTokens(text: string): number;
}

// User text may contain "<|endoftext|>"; it must count as text, not throw as a special token.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const encoders: Partial<Record<EncodingName, Encoder>> = {};
const loading: Partial<Record<EncodingName, Promise<Encoder>>> = {};
// A load that failed is retried only when asked for (warmTokenizer, countTextTokensAsync), not on
// every count of the hot path.
const failedLoads = new Set<EncodingName>();

async function importEncoding(name: EncodingName): Promise<Encoder> {
  const mod =
    name === 'o200k_base'
      ? await import('gpt-tokenizer/encoding/o200k_base')
      : await import('gpt-tokenizer/encoding/cl100k_base');
  return { countTokens: (text) => mod.countTokens(text, AS_PLAIN_TEXT) };
}

function loadEncoding(name: EncodingName): Promise<Encoder> {
  const existing = loading[name];
  if (existing !== undefined) return existing;
  const promise = importEncoding(name).then(
    (encoder) => {
      encoders[name] = encoder;
      return encoder;
    },
    (err: unknown) => {
      delete loading[name];
      failedLoads.add(name);
      throw err;
    },
  );
  loading[name] = promise;
  return promise;
}

/** Loads the encodings so that later counts are exact and synchronous. */
export async function warmTokenizer(
  names: readonly EncodingName[] = ['o200k_base', 'cl100k_base'],
): Promise<void> {
  for (const name of names) failedLoads.delete(name);
  await Promise.all(names.map(loadEncoding));
}

export function isTokenizerWarm(name: EncodingName = 'o200k_base'): boolean {
  return encoders[name] !== undefined;
}

function rawCount(text: string, encoding: EncodingName): number {
  if (text.length === 0) return 0;
  const encoder = encoders[encoding];
  if (encoder !== undefined) return encoder.countTokens(text);
  // Not loaded yet: start the load for next time and answer with the usual ~4 bytes per token.
  if (!failedLoads.has(encoding)) loadEncoding(encoding).catch(() => {});
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/**
 * Tokens in `text` for `model`. Synchronous; exact for OpenAI models once the tokenizer is warm,
 * an estimate otherwise (see the module comment).
 */
export function countTextTokens(text: string, model: string): number {
  const choice = tokenizerFor(model);
  return scale(rawCount(text, choice.encoding), choice.factor);
}

/** Like countTextTokens, but waits for the encoding so OpenAI counts are always exact. */
export async function countTextTokensAsync(text: string, model: string): Promise<number> {
  const choice = tokenizerFor(model);
  await loadEncoding(choice.encoding);
  return scale(rawCount(text, choice.encoding), choice.factor);
}

function scale(count: number, factor: number): number {
  return factor === 1 ? count : Math.ceil(count * factor);
}

// OpenAI cookbook, "How to count tokens with tiktoken" (examples/How_to_count_tokens_with_tiktoken.ipynb):
// every message costs 3 tokens of framing plus its role (one token) and, with a name, the name
// plus 1; every reply is primed with 3 tokens (<|start|>assistant<|message|>). Verified there
// against the API's prompt_tokens for gpt-4o, gpt-4o-mini, gpt-4 and gpt-3.5-turbo.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_ROLE = 1;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;
// Same notebook, num_tokens_for_tools(): tool definitions are rendered as
// "name:description" and "property:type:description" lines plus fixed framing.
const TOOL_CONSTANTS = {
  o200k_base: { funcInit: 7, propInit: 3, propKey: 3, enumInit: -3, enumItem: 3, funcEnd: 12 },
  cl100k_base: { funcInit: 10, propInit: 3, propKey: 3, enumInit: -3, enumItem: 3, funcEnd: 12 },
} as const;
// Not in the cookbook (uncalibrated): framing around each tool call an assistant made.
const TOKENS_PER_TOOL_CALL = 3;
// OpenAI vision guide: a low-detail image costs 85 tokens; a high-detail one 85 + 170 per 512 px
// tile. The size is unknown here, so assume a 1024×1024 image at high detail (4 tiles).
const IMAGE_TOKENS_LOW = 85;
const IMAGE_TOKENS_DEFAULT = 85 + 170 * 4;

/**
 * Estimated prompt tokens of a chat request as `model` would count them, following the OpenAI
 * cookbook's accounting (exact for OpenAI text-only requests; family factor applied otherwise).
 */
export function estimateChatInputTokens(
  messages: readonly Message[],
  tools: readonly ToolDefinition[] | undefined,
  model: string,
): number {
  const choice = tokenizerFor(model);
  const count = (text: string): number => rawCount(text, choice.encoding);
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + TOKENS_PER_ROLE + contentTokens(message.content, count);
    if ((message.role === 'user' || message.role === 'assistant') && message.name !== undefined) {
      total += count(message.name) + TOKENS_PER_NAME;
    }
    if (message.role === 'assistant' && message.toolCalls !== undefined) {
      for (const call of message.toolCalls) {
        total += TOKENS_PER_TOOL_CALL + count(call.name) + count(call.arguments);
      }
    }
  }
  if (tools !== undefined && tools.length > 0) total += toolTokens(tools, choice.encoding, count);
  return scale(total, choice.factor);
}

function contentTokens(parts: readonly ContentPart[], count: (text: string) => number): number {
  let total = 0;
  for (const part of parts) {
    switch (part.type) {
      case 'text':
      case 'thinking':
        total += count(part.text);
        break;
      case 'redacted_thinking':
        total += count(part.data);
        break;
      case 'image':
        total += part.detail === 'low' ? IMAGE_TOKENS_LOW : IMAGE_TOKENS_DEFAULT;
        break;
    }
  }
  return total;
}

function toolTokens(
  tools: readonly ToolDefinition[],
  encoding: EncodingName,
  count: (text: string) => number,
): number {
  const k = TOOL_CONSTANTS[encoding];
  let total = 0;
  for (const tool of tools) {
    total += k.funcInit + count(`${tool.name}:${withoutFinalPeriod(tool.description)}`);
    const properties = asRecord(tool.parameters?.['properties']);
    const names = properties === undefined ? [] : Object.keys(properties);
    if (properties === undefined || names.length === 0) continue;
    total += k.propInit;
    for (const name of names) {
      const property = asRecord(properties[name]) ?? {};
      total += k.propKey;
      const values = property['enum'];
      if (Array.isArray(values)) {
        total += k.enumInit;
        for (const value of values) total += k.enumItem + count(String(value));
      }
      const type = property['type'] === undefined ? '' : String(property['type']);
      const description = typeof property['description'] === 'string' ? property['description'] : undefined;
      total += count(`${name}:${type}:${withoutFinalPeriod(description)}`);
    }
  }
  return total + k.funcEnd;
}

function withoutFinalPeriod(text: string | undefined): string {
  if (text === undefined) return '';
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export interface EstimateUsageInput {
  request: Pick<ChatRequest, 'messages' | 'tools'>;
  /** Everything the model generated as text (answer, refusal, tool-call arguments). */
  outputText: string;
  /** Reasoning text, when the provider streamed it; counted as output and as reasoning. */
  reasoningText?: string;
  /** The model that answered (the upstream id), which picks the tokenizer. */
  model: string;
}

/** Usage counted by the gateway because the provider reported none; marked `estimated`. */
export function estimateUsage(input: EstimateUsageInput): Usage {
  const inputTokens = estimateChatInputTokens(input.request.messages, input.request.tools, input.model);
  const answer = countTextTokens(input.outputText, input.model);
  const reasoning = input.reasoningText === undefined ? 0 : countTextTokens(input.reasoningText, input.model);
  const usage: Usage = { inputTokens, outputTokens: answer + reasoning, estimated: true };
  if (reasoning > 0) usage.reasoningTokens = reasoning;
  return usage;
}

// Generous framing allowances for the upper bound: they must cover every family's chat template,
// not just OpenAI's 3 + 1 per message.
const WORST_CASE_PER_MESSAGE = 8;
const WORST_CASE_PER_TOOL_CALL = 8;
const WORST_CASE_PER_TOOL = 16;
// Anthropic adds a hidden tool-use system prompt of a few hundred tokens (346 for Claude 4 models
// with tool_choice auto, per its pricing page); OpenAI and Gemini add less.
const WORST_CASE_TOOL_SYSTEM_PROMPT = 400;
// Largest image cost among the providers' documented formulas (Anthropic resizes images to about
// 1,600 tokens at most; OpenAI's high detail tops out below that after its own resizing).
const WORST_CASE_IMAGE = 2_000;

/**
 * A fast upper bound on a request's prompt tokens, without BPE, for budget and TPM reservations.
 * Every tokenizer the gateway meets is byte-level BPE or SentencePiece with byte fallback: each
 * token stands for at least one byte of UTF-8, so a text's byte length bounds its token count
 * (dividing by 2 would not: "2 + 2 = 4" is 9 bytes and 7 o200k tokens). The bound is loose —
 * about 4× for English — which is the price of never under-reserving; the reservation is settled
 * to the real usage afterwards. Images and framing use the generous constants above.
 */
export function worstCaseInputTokens(
  request: Pick<ChatRequest, 'messages' | 'tools' | 'responseFormat'>,
): number {
  let total = WORST_CASE_PER_MESSAGE;
  for (const message of request.messages) {
    total += WORST_CASE_PER_MESSAGE;
    for (const part of message.content) {
      if (part.type === 'image') total += WORST_CASE_IMAGE;
      else total += Buffer.byteLength(part.type === 'redacted_thinking' ? part.data : part.text, 'utf8');
    }
    if ((message.role === 'user' || message.role === 'assistant') && message.name !== undefined) {
      total += Buffer.byteLength(message.name, 'utf8') + 1;
    }
    if (message.role === 'assistant' && message.toolCalls !== undefined) {
      for (const call of message.toolCalls) {
        total +=
          WORST_CASE_PER_TOOL_CALL +
          Buffer.byteLength(call.name, 'utf8') +
          Buffer.byteLength(call.arguments, 'utf8');
      }
    }
    if (message.role === 'tool') total += Buffer.byteLength(message.toolCallId, 'utf8');
  }
  const tools = request.tools;
  if (tools !== undefined && tools.length > 0) {
    total += WORST_CASE_TOOL_SYSTEM_PROMPT;
    for (const tool of tools) {
      total += WORST_CASE_PER_TOOL + Buffer.byteLength(tool.name, 'utf8');
      if (tool.description !== undefined) total += Buffer.byteLength(tool.description, 'utf8');
      if (tool.parameters !== undefined) total += Buffer.byteLength(JSON.stringify(tool.parameters), 'utf8');
    }
  }
  const format = request.responseFormat;
  if (format?.type === 'json_schema') {
    total += WORST_CASE_PER_TOOL + Buffer.byteLength(JSON.stringify(format.jsonSchema), 'utf8');
  }
  return total;
}
