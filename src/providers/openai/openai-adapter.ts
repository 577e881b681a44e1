/**
 * @module providers/openai/openai-adapter
 * The OpenAI chat-completions protocol as a ProviderAdapter. One adapter serves every provider
 * type that speaks it — OpenAI, Azure OpenAI, GitHub Models, Hugging Face and any
 * OpenAI-compatible server — the differences live in `openai-presets.ts`, chosen by
 * `target.type`. Pure translation: no I/O, no state outside a stream decoder.
 */

import type { ProviderAdapter } from '../spec.js';
import { buildOpenAIChatRequest } from './openai-chat-request.js';
import { parseOpenAIChatResponse } from './openai-chat-response.js';
import { buildOpenAIEmbeddingRequest, parseOpenAIEmbeddingResponse } from './openai-embeddings.js';
import { classifyOpenAIError } from './openai-error.js';
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
  };
}
