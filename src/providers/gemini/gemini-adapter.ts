/**
 * @module providers/gemini/gemini-adapter
 * The Gemini API (Google AI Studio keys, `generativelanguage.googleapis.com`) as a
 * ProviderAdapter: generateContent and streamGenerateContent (SSE), embeddings, Google's error
 * bodies, and a free `GET models/{model}` as the health probe. Pure translation: no I/O, no state
 * outside a stream decoder.
 */

import type { ProviderAdapter } from '../spec.js';
import { buildGeminiChatRequest } from './gemini-chat-request.js';
import { parseGeminiChatResponse } from './gemini-chat-response.js';
import { buildGeminiEmbeddingRequest, parseGeminiEmbeddingResponse } from './gemini-embeddings.js';
import { geminiGetModel } from './gemini-endpoint.js';
import { classifyGeminiError } from './gemini-error.js';
import { createGeminiStreamDecoder } from './gemini-stream-decoder.js';

export function createGeminiAdapter(): ProviderAdapter {
  return {
    protocol: 'gemini',
    streamFraming: 'sse',
    buildChatRequest: buildGeminiChatRequest,
    parseChatResponse: parseGeminiChatResponse,
    createStreamDecoder: createGeminiStreamDecoder,
    buildEmbeddingRequest: buildGeminiEmbeddingRequest,
    parseEmbeddingResponse: parseGeminiEmbeddingResponse,
    classifyError: classifyGeminiError,
    buildProbeRequest: geminiGetModel,
  };
}
