/**
 * @module core/chat
 * The canonical request, response and stream model. Wire formats (OpenAI, Anthropic, Gemini,
 * Ollama) are codecs at the edges that translate to and from these types; nothing between the
 * HTTP layer and the provider adapters sees a wire format.
 */

import type { FinishReason } from './finish-reason.js';
import type { Usage } from './usage.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
  /** Anthropic prompt-caching breakpoint on this part. */
  cacheControl?: { type: 'ephemeral'; ttl?: string };
}

export interface ImagePart {
  type: 'image';
  /** Either a remote URL or inline base64 data with its media type. */
  url?: string;
  data?: string;
  mediaType?: string;
  /** OpenAI's `detail` hint. */
  detail?: 'auto' | 'low' | 'high';
}

/** Extended thinking / reasoning content, kept so that multi-turn tool use with thinking round-trips. */
export interface ThinkingPart {
  type: 'thinking';
  text: string;
  signature?: string;
}

export interface RedactedThinkingPart {
  type: 'redacted_thinking';
  data: string;
}

export type ContentPart = TextPart | ImagePart | ThinkingPart | RedactedThinkingPart;

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the JSON text the model produced (kept verbatim, not re-serialised). */
  arguments: string;
}

export interface SystemMessage {
  role: 'system';
  content: ContentPart[];
}

export interface UserMessage {
  role: 'user';
  content: ContentPart[];
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content: ContentPart[];
  toolCalls?: ToolCall[];
  /** An OpenAI refusal string, when the model refused through the structured-output channel. */
  refusal?: string;
  name?: string;
}

export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: ContentPart[];
  isError?: boolean;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      jsonSchema: { name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string };
    };

/** Orchestration options a caller may set per request (headers `x-switchyard-*` or body `switchyard`). */
export interface RoutingOptions {
  strategy?: string;
  maxCostUsd?: number;
  chain?: string[];
  task?: string;
  tier?: string;
  ensembleSize?: number;
  cache?: 'default' | 'no-cache' | 'no-store';
  minConfidence?: number;
  priority?: number;
  tags?: string[];
  /**
   * A base URL for this request's upstream (`switchyard.api_base`), used only when
   * `security.upstream_allowlist` permits it; otherwise the request is refused.
   */
  apiBase?: string;
}

export interface ChatRequest {
  /** A model name, a route name, or `auto`. */
  model: string;
  messages: Message[];
  stream: boolean;
  /** Ask the upstream for usage in the stream (always on towards upstreams; this records the client's wish). */
  streamIncludeUsage?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  n?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  logitBias?: Record<string, number>;
  logprobs?: boolean;
  topLogprobs?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** Reasoning controls: OpenAI's `reasoning_effort`, Anthropic's thinking budget. */
  reasoning?: {
    effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';
    budgetTokens?: number;
  };
  /** End-user id for abuse tracking (OpenAI `user`). */
  user?: string;
  metadata?: Record<string, string>;
  routing?: RoutingOptions;
  /**
   * Wire fields the canonical model does not name, kept so that an OpenAI client talking to an
   * OpenAI-protocol upstream loses nothing (e.g. `service_tier`, `prediction`). Adapters of other
   * protocols ignore them. Never contains fields that choose an upstream URL.
   */
  passthrough?: Record<string, unknown>;
}

export interface LogprobToken {
  token: string;
  logprob: number;
  bytes?: number[] | null;
  topLogprobs?: { token: string; logprob: number }[];
}

export interface ChatChoice {
  index: number;
  message: AssistantMessage;
  finishReason: FinishReason;
  logprobs?: LogprobToken[];
}

export interface ChatResult {
  /** The upstream's response id. */
  id: string;
  /** The model id the upstream reports. */
  model: string;
  created: number;
  choices: ChatChoice[];
  usage: Usage;
  systemFingerprint?: string;
}

/** The parts of a stream, in order: one `start`, deltas, `finish` per choice, `usage`, then the end. */
export type StreamPart =
  | { type: 'start'; id: string; model: string; created: number; systemFingerprint?: string }
  | { type: 'text-delta'; choice: number; text: string }
  | { type: 'reasoning-delta'; choice: number; text: string; signature?: string }
  | { type: 'refusal-delta'; choice: number; text: string }
  | {
      type: 'tool-call-delta';
      choice: number;
      /** Position of the call in the message's tool_calls array. */
      index: number;
      id?: string;
      name?: string;
      argumentsDelta: string;
    }
  | { type: 'logprobs'; choice: number; tokens: LogprobToken[] }
  | { type: 'finish'; choice: number; finishReason: FinishReason }
  | { type: 'usage'; usage: Usage }
  | { type: 'error'; error: import('./errors.js').GatewayError };

export interface EmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
  encodingFormat?: 'float' | 'base64';
  user?: string;
  routing?: RoutingOptions;
}

export interface EmbeddingResult {
  model: string;
  embeddings: number[][];
  usage: Usage;
}

/** Concatenated text of a list of content parts (text parts only). */
export function textOf(parts: readonly ContentPart[]): string {
  if (parts.length === 1 && parts[0]?.type === 'text') return parts[0].text;
  let out = '';
  for (const part of parts) if (part.type === 'text') out += part.text;
  return out;
}
