/**
 * @module providers/openai/openai-adapter
 * The OpenAI chat-completions protocol as a ProviderAdapter. One adapter serves every provider
 * type that speaks it — OpenAI, Azure OpenAI, GitHub Models, Hugging Face and any
 * OpenAI-compatible server — the differences live in `openai-presets.ts`, chosen by
 * `target.type`. Pure translation: no I/O, no state outside a stream decoder.
 */

import type { HttpRequest, ProviderAdapter, UpstreamTarget } from '../spec.js';
import { buildOpenAIChatRequest } from './openai-chat-request.js';
import { parseOpenAIChatResponse } from './openai-chat-response.js';
import { buildOpenAIEmbeddingRequest, parseOpenAIEmbeddingResponse } from './openai-embeddings.js';
import { classifyOpenAIError } from './openai-error.js';
import { resolveOpenAIEndpoint } from './openai-presets.js';
import { createOpenAIStreamDecoder } from './openai-stream-decoder.js';

export function createOpenAIAdapter(): ProviderAdapter {
  return {
    protocol: 'openai',
    streamFraming: 'sse',
    buildChatRequest: buildOpenAIChatRequest,
    parseChatResponse: parseOpenAIChatResponse,
    createStreamDecoder: createOpenAIStreamDecoder,
    buildEmbeddingRequest: buildOpenAIEmbeddingRequest,
    parseEmbeddingResponse: parseOpenAIEmbeddingResponse,
    classifyError: classifyOpenAIError,
    buildProbeRequest,
  };
}

/** `GET …/models`: free on every OpenAI-style server, so health checks cost nothing. */
function buildProbeRequest(target: UpstreamTarget): HttpRequest {
  const endpoint = resolveOpenAIEndpoint(target, 'models', false);
  return { origin: endpoint.origin, method: 'GET', path: endpoint.path, headers: endpoint.headers };
}
