/**
 * @module providers/ollama/ollama-chat-api
 * Ollama's native wire as TypeScript types: `POST /api/chat` bodies, its responses and NDJSON
 * stream lines, `POST /api/embed`, and the error body. Written from Ollama's API reference
 * (github.com/ollama/ollama `docs/api.md`, `docs/openapi.yaml`) and checked against the Go types
 * the server binds (`api/types.go`), which add the tool-call `id` and the tool message's
 * `tool_call_id`. Ollama's encoder leaves zero values out (`omitempty`), so every response field
 * is optional here and narrowed by hand where it is read.
 */

/** A tool call as Ollama sends and takes it: whole, with its arguments as a JSON object. */
export interface OllamaToolCall {
  /** Sent by recent servers (`call_` + 8 characters); absent in the documented examples. */
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

export interface OllamaChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64 image data, without a `data:` prefix. */
  images?: string[];
  /** An assistant turn's reasoning trace, sent back so thinking models keep their context. */
  thinking?: string;
  tool_calls?: OllamaToolCall[];
  /** On a tool result: the tool that produced it (documented). */
  tool_name?: string;
  /** On a tool result: the call it answers (recent servers). */
  tool_call_id?: string;
}

export interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** Runtime options (`ModelOptions`); only the ones the gateway sets are named. */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  num_predict?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  [option: string]: unknown;
}

export type OllamaThink = boolean | 'low' | 'medium' | 'high' | 'max';

/** The body of `POST /api/chat`. */
export interface OllamaChatRequestBody {
  model: string;
  messages: OllamaChatMessage[];
  /** Ollama streams unless told `false`, so it is always sent. */
  stream: boolean;
  tools?: OllamaTool[];
  /** `"json"` for JSON mode, or a JSON schema for structured outputs. */
  format?: 'json' | Record<string, unknown>;
  options?: OllamaOptions;
  keep_alive?: string | number;
  think?: OllamaThink;
}

/** The counts and timings of the last object (`done: true`); durations are in nanoseconds. */
export interface OllamaMetrics {
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** A non-stream response, and also each NDJSON line of a stream. */
export interface OllamaChatResponse extends OllamaMetrics {
  model?: string;
  /** RFC 3339 with nanoseconds, e.g. `2023-08-04T08:52:19.385406455-07:00`. */
  created_at?: string;
  message?: {
    role?: 'assistant';
    content?: string;
    thinking?: string;
    tool_calls?: OllamaToolCall[];
    images?: string[] | null;
  };
  done?: boolean;
  /** `stop`, `length`, `load`, `unload`; absent from older servers. */
  done_reason?: string;
}

/** The body of `POST /api/embed`. */
export interface OllamaEmbedRequestBody {
  model: string;
  input: string[];
  dimensions?: number;
  truncate?: boolean;
}

export interface OllamaEmbedResponse {
  model?: string;
  embeddings?: number[][];
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
}

/** Every Ollama error, over HTTP or as an NDJSON line mid-stream. */
export interface OllamaErrorBody {
  error: string;
}
