/**
 * @module providers/openai/openai-chat-api
 * The OpenAI chat-completions and embeddings wire, as TypeScript types: request bodies,
 * responses, stream chunks and error bodies. Written from the OpenAI OpenAPI description
 * (github.com/openai/openai-openapi, `createChatCompletion`, `CreateChatCompletionResponse`,
 * `CreateChatCompletionStreamResponse`, `CompletionUsage`, `createEmbedding`). Responses are
 * typed loosely (optional, nullable) because OpenAI-compatible servers differ in what they
 * omit; they are narrowed by hand where they are read, which is faster than a schema library
 * on the per-chunk path. The ingress codec (`http/wire/openai`) uses the same types.
 */

export type OpenAITextPart = { type: 'text'; text: string };
export type OpenAIImagePart = {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
};
export type OpenAIRefusalPart = { type: 'refusal'; refusal: string };

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OpenAIChatMessage =
  | { role: 'system' | 'developer'; content: string | OpenAITextPart[]; name?: string }
  | { role: 'user'; content: string | (OpenAITextPart | OpenAIImagePart)[]; name?: string }
  | {
      role: 'assistant';
      content: string | (OpenAITextPart | OpenAIRefusalPart)[] | null;
      tool_calls?: OpenAIToolCall[];
      refusal?: string | null;
      name?: string;
    }
  | { role: 'tool'; content: string | OpenAITextPart[]; tool_call_id: string };

export interface OpenAIFunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean;
  };
}

export type OpenAIToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { type: 'function'; function: { name: string } };

export type OpenAIResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string };
    };

/** The request body of `POST /chat/completions`. Only fields the gateway sets are named. */
export interface OpenAIChatRequestBody {
  model?: string;
  messages: OpenAIChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  n?: number;
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  logit_bias?: Record<string, number>;
  logprobs?: boolean;
  top_logprobs?: number;
  tools?: OpenAIFunctionTool[];
  tool_choice?: OpenAIToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: OpenAIResponseFormat;
  reasoning_effort?: string;
  user?: string;
  metadata?: Record<string, string>;
  [passthrough: string]: unknown;
}

export interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: {
    cached_tokens?: number;
    cache_write_tokens?: number;
    audio_tokens?: number;
  } | null;
  completion_tokens_details?: {
    reasoning_tokens?: number;
    audio_tokens?: number;
    accepted_prediction_tokens?: number;
    rejected_prediction_tokens?: number;
  } | null;
}

export interface OpenAITopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}

export interface OpenAITokenLogprob extends OpenAITopLogprob {
  top_logprobs: OpenAITopLogprob[];
}

export interface OpenAILogprobs {
  content: OpenAITokenLogprob[] | null;
  refusal: OpenAITokenLogprob[] | null;
}

/** The finish reasons OpenAI itself documents (`function_call` is the deprecated one). */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface OpenAIResponseMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: OpenAIToolCall[];
}

export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: OpenAIResponseMessage;
    logprobs: OpenAILogprobs | null;
    finish_reason: OpenAIFinishReason;
  }[];
  usage?: OpenAIUsage;
  system_fingerprint?: string;
}

export interface OpenAIChunkToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OpenAIChunkDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  tool_calls?: OpenAIChunkToolCallDelta[];
}

export interface OpenAIChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: OpenAIChunkDelta;
    logprobs?: OpenAILogprobs | null;
    finish_reason: OpenAIFinishReason | null;
  }[];
  usage?: OpenAIUsage | null;
  system_fingerprint?: string;
}

/** OpenAI's error body; compatible servers sometimes send `error` as a bare string. */
export interface OpenAIErrorBody {
  error: { message?: string; type?: string; code?: string | number | null; param?: string | null } | string;
}

export interface OpenAIEmbeddingRequestBody {
  model?: string;
  input: string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  user?: string;
}

export interface OpenAIEmbeddingResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface OpenAIModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
