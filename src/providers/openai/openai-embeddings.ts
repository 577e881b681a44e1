/**
 * @module providers/openai/openai-embeddings
 * Canonical EmbeddingRequest ⇄ OpenAI `POST …/embeddings` (Azure: `/openai/deployments/{d}/
 * embeddings?api-version=…`). Upstream the gateway always asks for floats (the default, so the
 * field is left out); a client that wanted base64 gets it from the ingress encoder. A server that
 * answers base64 anyway is decoded (float32, little-endian).
 */

import type { EmbeddingRequest, EmbeddingResult } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr } from '../shared/json.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';
import { mapOpenAIUsage, unreportedUsage } from './map-openai-usage.js';
import type { OpenAIEmbeddingRequestBody } from './openai-chat-api.js';
import { classifyOpenAIInBandError } from './openai-error.js';
import { resolveOpenAIEndpoint } from './openai-presets.js';

export function buildOpenAIEmbeddingRequest(request: EmbeddingRequest, target: UpstreamTarget): HttpRequest {
  const endpoint = resolveOpenAIEndpoint(target, 'embeddings', false);
  const body: OpenAIEmbeddingRequestBody = { input: request.input };
  if (endpoint.modelInBody) body.model = target.model;
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  return {
    origin: endpoint.origin,
    method: 'POST',
    path: endpoint.path,
    headers: endpoint.headers,
    body: JSON.stringify(body),
  };
}

/** Decodes OpenAI's base64 embedding encoding: float32 values, little-endian. */
export function decodeBase64Embedding(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const count = bytes.length >>> 2;
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

function invalid(target: UpstreamTarget, reason: string): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `invalid embeddings response from upstream: ${reason}`, {
    details: { provider: target.provider },
  });
}

export function parseOpenAIEmbeddingResponse(body: unknown, target: UpstreamTarget): EmbeddingResult {
  if (!isRecord(body)) throw invalid(target, 'the body is not a JSON object');
  if (body.error !== undefined && body.error !== null && body.data === undefined) {
    throw classifyOpenAIInBandError(body, target);
  }
  const data = body.data;
  if (!Array.isArray(data)) throw invalid(target, 'data is missing');
  const embeddings: number[][] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const item = data[i];
    if (!isRecord(item)) throw invalid(target, `data[${i}] is not an object`);
    const index = numberOr(item.index) ?? i;
    if (!Number.isInteger(index) || index < 0 || index >= data.length || embeddings[index] !== undefined) {
      throw invalid(target, `data[${i}].index is out of range or repeated`);
    }
    const embedding = item.embedding;
    if (typeof embedding === 'string') {
      embeddings[index] = decodeBase64Embedding(embedding);
    } else if (Array.isArray(embedding) && embedding.every((x) => typeof x === 'number')) {
      embeddings[index] = embedding as number[];
    } else {
      throw invalid(target, `data[${i}].embedding is not a vector`);
    }
  }
  const usage = isRecord(body.usage)
    ? mapOpenAIUsage({ prompt_tokens: body.usage.prompt_tokens, completion_tokens: 0 })
    : unreportedUsage();
  const model = typeof body.model === 'string' && body.model !== '' ? body.model : target.model;
  return { model, embeddings, usage };
}
