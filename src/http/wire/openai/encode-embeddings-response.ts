/**
 * @module http/wire/openai/encode-embeddings-response
 * Canonical EmbeddingResult → OpenAI's embeddings list. With `encoding_format: base64` each
 * vector is sent as OpenAI does: float32 values, little-endian, base64 — which is also what the
 * official clients ask for by default and decode back into numbers.
 */

import type { EmbeddingResult } from '../../../core/chat.js';
import type { OpenAIEmbeddingResponse } from '../../../providers/openai/openai-chat-api.js';

export function encodeEmbeddingBase64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}

export function encodeEmbeddingsResponse(
  result: EmbeddingResult,
  opts: { model: string; encodingFormat: 'float' | 'base64' },
): OpenAIEmbeddingResponse {
  const base64 = opts.encodingFormat === 'base64';
  const data: OpenAIEmbeddingResponse['data'] = new Array(result.embeddings.length);
  for (let i = 0; i < result.embeddings.length; i++) {
    const vector = result.embeddings[i]!;
    data[i] = { object: 'embedding', index: i, embedding: base64 ? encodeEmbeddingBase64(vector) : vector };
  }
  return {
    object: 'list',
    data,
    model: opts.model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
  };
}
