/**
 * @module providers/spec
 * The contract between the executor and a wire protocol. An adapter is pure translation:
 * canonical request → HTTP request description, HTTP response → canonical result, stream
 * events → canonical stream parts, error response → GatewayError. It does no I/O, reads no
 * globals and no environment; the executor sends what it builds through a shared undici pool.
 */

import type { ChatRequest, ChatResult, EmbeddingRequest, EmbeddingResult, StreamPart } from '../core/chat.js';
import type { GatewayError } from '../core/errors.js';

/** What the executor sends. `origin` selects the connection pool; `path` includes the query string. */
export interface HttpRequest {
  origin: string;
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * A provider's `max_connections`: its requests go through pools of its own, one per origin, that
 * open at most `connections` connections; past them requests wait in the pool's queue. Made once
 * per provider when the registry is built.
 */
export interface ConnectionLimit {
  /** The provider's name in config: two providers on one origin never share a capped pool. */
  provider: string;
  connections: number;
}

/** A configured provider resolved for one deployment: where to send and how to authenticate. */
export interface UpstreamTarget {
  /** Provider name in config (e.g. `openai`, `azure-east`). */
  provider: string;
  /** Provider type in config (`openai`, `azure`, `github`, `huggingface`, `anthropic`, …). */
  type: string;
  /** The root URL the provider's official SDK takes, without a trailing slash. */
  baseUrl: string;
  /** The upstream model id (for Azure, the deployment name). */
  model: string;
  /** Secret; adapters put it in a header, never in a URL. */
  apiKey?: string;
  /** Azure `api-version`. */
  apiVersion?: string;
  organization?: string;
  project?: string;
  /** Extra static headers from config. */
  headers?: Record<string, string>;
  /** OpenAI protocol: the field that carries the output-token limit, when config overrides the preset. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

/** One server-sent event, as the shared SSE parser yields it; NDJSON lines come as `{data}`. */
export interface StreamEvent {
  event?: string;
  data: string;
  id?: string;
}

/** Stateful, pure decoder of one upstream stream into canonical parts. */
export interface StreamDecoder {
  /** Parts produced by one event (possibly none). Throws GatewayError on malformed data. */
  push(event: StreamEvent): StreamPart[];
  /** Called at a clean end of the byte stream; returns trailing parts. */
  end(): StreamPart[];
  /** True once the upstream signalled the end of the message (e.g. `[DONE]`, `message_stop`). */
  readonly done: boolean;
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The response body as text (may be empty or non-JSON). */
  body: string;
}

export interface ProviderAdapter {
  /** The wire protocol's name: `openai`, `anthropic`, `gemini`, `ollama`. */
  readonly protocol: string;
  /** How the stream is framed on the wire. */
  readonly streamFraming: 'sse' | 'ndjson';
  buildChatRequest(request: ChatRequest, target: UpstreamTarget): HttpRequest;
  parseChatResponse(body: unknown, target: UpstreamTarget): ChatResult;
  createStreamDecoder(target: UpstreamTarget): StreamDecoder;
  buildEmbeddingRequest?(request: EmbeddingRequest, target: UpstreamTarget): HttpRequest;
  parseEmbeddingResponse?(body: unknown, target: UpstreamTarget): EmbeddingResult;
  /** A cheap request that tells whether the deployment answers (active health checks); free if possible. */
  buildProbeRequest?(target: UpstreamTarget): HttpRequest;
  /** Maps an upstream error response to a GatewayError, deciding retryability there. */
  classifyError(response: ErrorResponse, target: UpstreamTarget): GatewayError;
}
