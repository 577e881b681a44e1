/**
 * @module providers/ollama/ollama-adapter
 * Ollama's native API (`/api/chat`, `/api/embed`) as a ProviderAdapter, streaming NDJSON.
 * Ollama's OpenAI-compatible endpoint needs no adapter of its own: it is the `openai` type with
 * `base_url: http://127.0.0.1:11434/v1`. Pure translation: no I/O, no state outside a stream
 * decoder.
 */

import type { HttpRequest, ProviderAdapter, UpstreamTarget } from '../spec.js';
import { buildOllamaChatRequest } from './ollama-chat-request.js';
import { parseOllamaChatResponse } from './ollama-chat-response.js';
import { buildOllamaEmbeddingRequest, parseOllamaEmbeddingResponse } from './ollama-embeddings.js';
import { resolveOllamaEndpoint } from './ollama-endpoint.js';
import { classifyOllamaError } from './ollama-error.js';
import { createOllamaStreamDecoder } from './ollama-stream-decoder.js';

/** `GET /api/tags` lists the local models: free, and it answers whenever the server is up. */
export function buildOllamaProbeRequest(target: UpstreamTarget): HttpRequest {
  const endpoint = resolveOllamaEndpoint(target, 'tags', false);
  return { origin: endpoint.origin, method: 'GET', path: endpoint.path, headers: endpoint.headers };
}

export function createOllamaAdapter(): ProviderAdapter {
  return {
    protocol: 'ollama',
    streamFraming: 'ndjson',
    buildChatRequest: buildOllamaChatRequest,
    parseChatResponse: parseOllamaChatResponse,
    createStreamDecoder: createOllamaStreamDecoder,
    buildEmbeddingRequest: buildOllamaEmbeddingRequest,
    parseEmbeddingResponse: parseOllamaEmbeddingResponse,
    classifyError: classifyOllamaError,
    buildProbeRequest: buildOllamaProbeRequest,
  };
}
